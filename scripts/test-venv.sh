#!/usr/bin/env bash
# Makes the git-ignored virtualenv that the server's integration tests use: the official `openai`
# client (to drive `dllama serve` as users' scripts do) and selenium (to drive Debian's chromium
# through its chromedriver). Idempotent: a venv that already imports both is left alone.
#
#   scripts/test-venv.sh [VENV_DIR]      (default: .venv-tests beside this script's repo)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-${DLLAMA_TEST_VENV:-$root/.venv-tests}}
packages=("openai==3.57.0" "selenium==4.45.0")

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import openai, selenium" 2>/dev/null; then
  exit 0
fi
python=$(command -v python3) || { echo "test-venv: python3 is needed (apt-get install python3 python3-venv)" >&2; exit 1; }
"$python" -m venv "$venv" || { echo "test-venv: '$python -m venv' failed: apt-get install python3-venv" >&2; exit 1; }
# Bounded waits: an unreachable PyPI fails in about a minute instead of hanging.
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --timeout 20 --retries 2 "${packages[@]}"; then
  echo "test-venv: pip could not install ${packages[*]} into $venv (is PyPI reachable?)" >&2
  exit 1
fi
echo "test-venv: $venv has ${packages[*]}"
