#!/usr/bin/env python3
"""llama.cpp's greedy continuation of a prompt, with each step's top-2 logit margin.

  .venv-peers/bin/python Tests/Fixtures/engine/make_llama_cpp_greedy.py \
      .assets/qwen2.5-coder-0.5b-instruct.gguf "def fibonacci(n):" 32 > Tests/Fixtures/engine/qwen_llama_cpp_greedy.json

Runs llama-cpp-python (0.3.36, `make peers-venv`) on one thread, feeding the prompt (tokenized by
llama.cpp, BOS as the model's metadata says) then each argmax token; stops at end of generation.
"""
import json, sys
import numpy as np
from llama_cpp import Llama

path, prompt, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = Llama(model_path=path, n_ctx=128, n_threads=1, verbose=False, logits_all=True)
tokens = model.tokenize(prompt.encode(), add_bos=True, special=False)
model.reset()
model.eval(tokens)
generated, margins = [], []
for _ in range(steps):
    logits = np.array(model.scores[model.n_tokens - 1])
    token = int(np.argmax(logits))
    top2 = np.sort(logits)[-2:]
    generated.append(token)
    margins.append(round(float(top2[1] - top2[0]), 3))
    if token == model.token_eos():
        break
    model.eval([token])
print(json.dumps({"model": path.split("/")[-1], "prompt": prompt, "prompt_ids": tokens, "generated_ids": generated,
                  "margins": margins, "text": model.detokenize(generated).decode("utf-8", "replace")}, indent=1))
