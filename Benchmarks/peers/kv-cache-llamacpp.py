#!/usr/bin/env python3
"""llama.cpp's own F16 KV cache against its F32 one, measured as SmolLM2Tests.f16Cache measures
ours: one greedy path (the F32 cache's) fed to both, the largest difference among the F32 run's
top-10 logits at each step, whether the top token agrees where F32's top-2 margin exceeds 0.5, and
each cache's own greedy text. Run with the peers' Python (make peers-venv):

    .venv-peers/bin/python Benchmarks/peers/kv-cache-llamacpp.py .assets/SmolLM2-135M-Instruct.Q4_1.gguf
"""
import sys
import numpy as np
from llama_cpp import Llama

GGML_F32, GGML_F16 = 0, 1
PROMPTS = ["Once upon a time, in a small village, there was", "The capital of France is"]


def model(path, kv_type):
    return Llama(model_path=path, n_ctx=256, n_threads=2, n_batch=1, logits_all=True, type_k=kv_type, type_v=kv_type,
                 verbose=False)


def logits_along(llm, tokens):
    llm.reset()
    out = []
    for t in tokens:
        llm.eval([t])
        out.append(np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32))
    return out


def main():
    path = sys.argv[1]
    f32, f16 = model(path, GGML_F32), model(path, GGML_F16)
    for prompt in PROMPTS:
        tokens = f32.tokenize(prompt.encode(), add_bos=False)
        steps = 40 if prompt.startswith("Once") else 16
        # The F32 cache's greedy path.
        path_tokens = list(tokens)
        for _ in range(steps):
            path_tokens.append(int(np.argmax(logits_along(f32, path_tokens)[-1])))
        a, b = logits_along(f32, path_tokens[:-1]), logits_along(f16, path_tokens[:-1])
        largest, clear, disagree = 0.0, 0, 0
        for x, y in zip(a, b):
            order = np.argsort(-x)
            largest = max(largest, float(np.max(np.abs(x[order[:10]] - y[order[:10]]))))
            if x[order[0]] - x[order[1]] > 0.5:
                clear += 1
                disagree += int(np.argmax(y) != order[0])
        texts = {}
        for name, llm in (("f32", f32), ("f16", f16)):
            generated = list(tokens)
            for _ in range(16):
                generated.append(int(np.argmax(logits_along(llm, generated)[-1])))
            texts[name] = llm.detokenize(generated).decode(errors="replace")
        print(f"{prompt!r}: {len(a)} positions, largest top-10 logit difference f16 vs f32 {largest:.3f}, "
              f"{disagree} of {clear} clear choices differ")
        for name, text in texts.items():
            print(f"  greedy ({name} cache): {text!r}")


if __name__ == "__main__":
    main()
