"""One measured llama.cpp run for bench-peers.py, in the peers' virtual environment (llama-cpp-python).

    python llamacpp_run.py MODEL.gguf THREADS TOKENS WARMUP_TOKENS < prompt.txt

Prints one JSON object: prompt tokens, prefill tokens/s (prompt over the time to the first
generated token), generation tokens/s (TOKENS greedy tokens after that), peak RSS. Measured the way
`dllama bench` measures: a warm-up generation first, then the prompt again from position 0.
"""
import json, resource, sys, time

from llama_cpp import Llama


def generate(llm, prompt, tokens):
    """Seconds to the first token, and seconds for the `tokens` tokens after it (greedy)."""
    # Forget the cache: generate() would otherwise keep the prompt computed by the warm-up.
    llm.reset()
    start = time.perf_counter()
    stream = llm.generate(prompt, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, reset=True)
    next(stream)
    first = time.perf_counter()
    for _ in range(tokens):
        next(stream)
    return first - start, time.perf_counter() - first


def main():
    model, threads, tokens, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    text = sys.stdin.read()
    llm = Llama(model_path=model, n_threads=threads, n_threads_batch=threads, n_ctx=512, n_batch=512, verbose=False)
    prompt = llm.tokenize(text.encode())  # BOS as the model's metadata asks
    # The context: 512 (every run of the default paragraph), or what a longer prompt needs, in steps of
    # 256 (the first model freed before the second loads, so the peak RSS is one model's).
    context = max(512, (len(prompt) + max(tokens, warmup) + 255) // 256 * 256)
    if context > 512:
        del llm
        llm = Llama(model_path=model, n_threads=threads, n_threads_batch=threads, n_ctx=context, n_batch=512, verbose=False)
    if warmup > 0:
        generate(llm, prompt, warmup)
    first, generation = generate(llm, prompt, tokens)
    print(json.dumps({
        "promptTokens": len(prompt),
        "prefillTokensPerSecond": len(prompt) / first,
        "generationTokensPerSecond": tokens / generation,
        "peakResidentBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main()
