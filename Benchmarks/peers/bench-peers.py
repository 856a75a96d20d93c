#!/usr/bin/env python3
"""Side by side with the peers: the same model, prompt, thread count and token count through
dllama (`dllama bench --json`), llama.cpp (llama-cpp-python in the peers' virtual environment) and
distributed-llama (its binary given by DLLAMA_BIN, on a .m made by `dllama convert`), one run of
each per round, interleaved, so that the machine's drift hits every engine alike. Prints medians
and the ours/peer ratios; only ratios from one run compare.

    make bench-peers                       # installs llama-cpp-python into .venv-peers first
    Benchmarks/peers/bench-peers.py [--rounds 5] [--tokens 128] [--threads 1,2] [--no-cluster] [--paragraphs 1]
    # distributed-llama: its binary and a .m/.t of SmolLM2 made by
    #   dllama convert .assets/SmolLM2-135M-Instruct.Q4_1.gguf --output smollm2-q40.m --weights q40
    DLLAMA_BIN=.../dllama DLLAMA_MODEL=smollm2-q40.m DLLAMA_TOKENIZER=smollm2-q40.t make bench-peers

Models: SmolLM2-135M-Instruct (GGUF: ours and llama.cpp; the converted Q40 .m: ours and
distributed-llama) and Qwen2.5-Coder-0.5B-Instruct (GGUF: ours and llama.cpp; it has no .m form).
With the cluster part, also 1, 2 and 3 local nodes of ours (`dllama bench --nodes`) against
distributed-llama's 1 and 3 (it cannot split SmolLM2's 9 heads in 2), one thread per node.
A peer that is not available is skipped, saying why.
"""
import argparse, json, os, re, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Benchmarks", "cluster"))
import importlib
bench_cluster = importlib.import_module("bench-cluster")

# The prompt `dllama bench` uses by default (an English paragraph of about 90 tokens).
PARAGRAPH = ("Once upon a time, in a small village, there lived an old clockmaker who repaired the watches of "
             "everyone in the valley. Every morning he opened his shop at dawn, swept the wooden floor, and set out his tools "
             "in a careful row. Children often stopped by the window to watch the tiny gears turn, and he would explain how "
             "each part depended on the others, just as the people of the village depended on one another.")


def ours(args, model, threads, tokenizer=None, nodes=1):
    cmd = [os.path.join(args.build, "dllama"), "bench", "--model", model, "--nodes", str(nodes), "--threads", str(threads),
           "--prompt", args.prompt, "--tokens", str(args.tokens), "--rounds", "1", "--warmup-tokens", str(args.warmup), "--json"]
    if tokenizer:
        cmd += ["--tokenizer", tokenizer]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"dllama bench failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout)["results"][0]
    document = json.loads(out.stdout)
    return {"prompt tokens": document["promptTokens"], "weight bytes": document["modelWeightBytes"],
            "prefill": result["prefillTokensPerSecond"]["median"],
            "generation": result["generationTokensPerSecond"]["median"],
            "peak RSS": result["peakResidentBytes"][0]["median"],
            "sync ms": result["syncMillisecondsPerToken"]["median"],
            "sent kB": result["sentBytesPerToken"]["median"] / 1000,
            "received kB": result["receivedBytesPerToken"]["median"] / 1000}


def read_bandwidth(args, threads):
    """GB/s `dllama info --bandwidth` reads memory at with `threads` threads (512 MiB, best of 5)."""
    out = subprocess.run([os.path.join(args.build, "dllama"), "info", "--bandwidth", "--nthreads", str(threads)],
                         capture_output=True, text=True, timeout=300)
    found = re.search(r"read bandwidth\s+([0-9.]+) GB/s", out.stdout)
    if out.returncode != 0 or not found:
        raise SystemExit(f"dllama info --bandwidth failed: {out.stderr[-2000:]}")
    return float(found.group(1))


def llama_cpp(args, model, threads):
    out = subprocess.run([args.peers_python, os.path.join(HERE, "llamacpp_run.py"), model, str(threads), str(args.tokens),
                          str(args.warmup)], input=args.prompt, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"llama.cpp failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout)
    return {"prompt tokens": result["promptTokens"], "prefill": result["prefillTokensPerSecond"],
            "generation": result["generationTokensPerSecond"], "peak RSS": result["peakResidentBytes"]}


def distributed_llama(args, threads, nodes=1):
    """One run of distributed-llama: the paragraph, then --tokens tokens (its --steps count the prompt)."""
    binary = os.environ["DLLAMA_BIN"]
    ports = [bench_cluster.free_port() for _ in range(nodes - 1)]
    procs, addresses = bench_cluster.start_workers(
        nodes - 1,
        # --net-turbo 0: its default busy-polling sockets starve three processes on two cores.
        lambda i: ["stdbuf", "-oL", binary, "worker", "--port", str(ports[i]), "--nthreads", str(threads), "--net-turbo", "0"],
        lambda text: (m := re.search(r"Listening on 0\.0\.0\.0:(\d+)", text)) and f"127.0.0.1:{m.group(1)}")
    try:
        cmd = [binary, "inference", "--model", os.environ["DLLAMA_MODEL"], "--tokenizer", os.environ["DLLAMA_TOKENIZER"],
               "--prompt", args.prompt, "--steps", str(args.peer_prompt_tokens + args.tokens), "--temperature", "0",
               "--max-seq-len", str(context_length(args.peer_prompt_tokens + args.tokens)), "--nthreads", str(threads),
               "--buffer-float-type", "q80", "--net-turbo", "0"]
        if addresses:
            cmd += ["--workers", *addresses]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    finally:
        bench_cluster.stop(procs)
    text = out.stdout + out.stderr
    prefill = re.search(r"Evaluation\s+nBatches:\s+\d+\s+nTokens:\s+(\d+)\s+tokens/s:\s+([\d.]+)", text)
    generation = re.search(r"Prediction\s+nTokens:\s+\d+\s+tokens/s:\s+([\d.]+)", text)
    if not (prefill and generation):
        raise SystemExit(f"distributed-llama failed: {text[-2000:]}")
    per_token = re.findall(r"Sync\s+(\d+) ms \| Sent\s+(\d+) kB Recv\s+(\d+) kB", text)[-(args.tokens // 2):] or [("0", "0", "0")]
    return {"prompt tokens": int(prefill.group(1)), "prefill": float(prefill.group(2)), "generation": float(generation.group(1)),
            "sync ms": statistics.median(float(s) for s, _, _ in per_token),
            "sent kB": statistics.median(float(s) for _, s, _ in per_token),
            "received kB": statistics.median(float(r) for _, _, r in per_token)}


def context_length(tokens):
    """The context a peer is given for `tokens` positions: 512 (what every run of the default
    paragraph used), or more for a longer prompt, in steps of 256."""
    return max(512, (tokens + 255) // 256 * 256)


def available_peers(args):
    """Which peers can run here; prints why the others are skipped."""
    peers = {}
    check = subprocess.run([args.peers_python, "-c", "import llama_cpp; print(llama_cpp.__version__)"], capture_output=True, text=True) \
        if os.path.exists(args.peers_python) else None
    if check and check.returncode == 0:
        peers["llama.cpp"] = f"llama.cpp (llama-cpp-python {check.stdout.strip()})"
    else:
        print(f"skipping llama.cpp: {args.peers_python} cannot import llama_cpp "
              "(`make bench-peers` installs llama-cpp-python==0.3.36 into .venv-peers; it compiles for about 5 minutes)", file=sys.stderr)
    missing = [v for v in ("DLLAMA_BIN", "DLLAMA_MODEL", "DLLAMA_TOKENIZER") if not os.environ.get(v)]
    if missing:
        print(f"skipping distributed-llama: {', '.join(missing)} not set (its binary, and a .m and .t made by `dllama convert`)", file=sys.stderr)
    elif not os.access(os.environ["DLLAMA_BIN"], os.X_OK):
        print(f"skipping distributed-llama: DLLAMA_BIN={os.environ['DLLAMA_BIN']} is not an executable file", file=sys.stderr)
    elif not all(os.path.exists(os.environ[v]) for v in ("DLLAMA_MODEL", "DLLAMA_TOKENIZER")):
        print("skipping distributed-llama: DLLAMA_MODEL or DLLAMA_TOKENIZER does not exist", file=sys.stderr)
    else:
        peers["distributed-llama"] = "distributed-llama"
    return peers


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    assets = os.environ.get("DLLAMA_ASSETS", os.path.join(ROOT, ".assets"))
    p.add_argument("--smollm2", default=os.path.join(assets, "SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--qwen", default=os.path.join(assets, "qwen2.5-coder-0.5b-instruct.gguf"))
    p.add_argument("--build", default=os.path.join(ROOT, ".build", "release"))
    p.add_argument("--peers-python", default=os.environ.get("PEERS_PYTHON", os.path.join(ROOT, ".venv-peers", "bin", "python")))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--warmup", type=int, default=16, help="tokens generated before each measured run (dllama and llama.cpp)")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--no-cluster", action="store_true", help="leave out 1, 2 and 3 local nodes")
    p.add_argument("--paragraphs", type=int, default=1,
                   help="the prompt is this many copies of the paragraph (35: about 3,000 tokens, a long context)")
    args = p.parse_args()
    if args.paragraphs < 1:
        raise SystemExit("--paragraphs must be 1 or more")
    args.prompt = " ".join([PARAGRAPH] * args.paragraphs)
    threads = [int(t) for t in args.threads.split(",")]
    for path in (args.smollm2, os.path.join(args.build, "dllama")):
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing: `make build assets` makes it")
    peers = available_peers(args)
    dl_model, dl_tokenizer = os.environ.get("DLLAMA_MODEL"), os.environ.get("DLLAMA_TOKENIZER")
    if "distributed-llama" in peers:
        # distributed-llama's --steps include the prompt: count the prompt as its tokenizer does (ours reads its .t).
        args.peer_prompt_tokens = ours(argparse.Namespace(**{**vars(args), "tokens": 1, "warmup": 0}), dl_model, 1, dl_tokenizer)["prompt tokens"]

    # (table row, model label, engine label, runner) in the order each round runs them.
    runs = []
    for t in threads:
        runs.append(("SmolLM2 GGUF", "dllama", t, lambda t=t: ours(args, args.smollm2, t)))
        if "llama.cpp" in peers:
            runs.append(("SmolLM2 GGUF", "llama.cpp", t, lambda t=t: llama_cpp(args, args.smollm2, t)))
        if "distributed-llama" in peers:
            runs.append(("SmolLM2 Q40 .m", "dllama", t, lambda t=t: ours(args, dl_model, t, dl_tokenizer)))
            runs.append(("SmolLM2 Q40 .m", "distributed-llama", t, lambda t=t: distributed_llama(args, t)))
        if os.path.exists(args.qwen):
            runs.append(("Qwen2.5-Coder-0.5B GGUF", "dllama", t, lambda t=t: ours(args, args.qwen, t)))
            if "llama.cpp" in peers:
                runs.append(("Qwen2.5-Coder-0.5B GGUF", "llama.cpp", t, lambda t=t: llama_cpp(args, args.qwen, t)))
    if not os.path.exists(args.qwen):
        print(f"skipping Qwen2.5-Coder-0.5B: {args.qwen} is missing (see the team's assets brief)", file=sys.stderr)
    cluster = []
    if not args.no_cluster:
        for n in (1, 2, 3):
            cluster.append((n, "dllama", lambda n=n: ours(args, args.smollm2, 1, nodes=n)))
            if "distributed-llama" in peers and n != 2:
                cluster.append((n, "distributed-llama", lambda n=n: distributed_llama(args, 1, nodes=n)))

    results = {}
    for r in range(args.rounds):
        for t in threads:  # the bound decode is judged against, in the same round
            results.setdefault(("bandwidth", "dllama info", t), []).append(read_bandwidth(args, t))
            print(f"round {r + 1}/{args.rounds}: read bandwidth, {t} thread{'s' if t > 1 else ''}: "
                  f"{results[('bandwidth', 'dllama info', t)][-1]:.1f} GB/s", file=sys.stderr)
        for model, engine, t, run in runs:
            result = run()
            results.setdefault((model, engine, t), []).append(result)
            print(f"round {r + 1}/{args.rounds}: {model}, {engine}, {t} thread{'s' if t > 1 else ''}: "
                  f"prefill {result['prefill']:.0f}, generation {result['generation']:.1f} tokens/s", file=sys.stderr)
        for n, engine, run in cluster:
            result = run()
            results.setdefault(("cluster", engine, n), []).append(result)
            print(f"round {r + 1}/{args.rounds}: SmolLM2, {engine}, {n} node{'s' if n > 1 else ''}: "
                  f"prefill {result['prefill']:.0f}, generation {result['generation']:.1f} tokens/s", file=sys.stderr)
    report(args, results, threads, peers)


def median(results, key, field):
    return statistics.median(r[field] for r in results[key])


def report(args, results, threads, peers):
    def spread(key, field, fmt):
        values = [r[field] for r in results[key]]
        return f"{fmt % statistics.median(values)} ({fmt % min(values)}-{fmt % max(values)})"

    prompt = f"a {len(PARAGRAPH.split())}-word paragraph" if args.paragraphs == 1 else \
        f"{args.paragraphs} copies of a {len(PARAGRAPH.split())}-word paragraph"
    print(f"\n{args.tokens} greedy tokens after {prompt}, one node; medians of {args.rounds} "
          f"interleaved rounds (min-max); {', '.join(peers.values()) or 'no peer available'}\n")
    # Peak RSS: ours is the process's VmHWM over the run; llama.cpp's the Python process's ru_maxrss,
    # interpreter included; distributed-llama reports none.
    print("| model | engine | threads | prompt tokens | prefill tokens/s | generation tokens/s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for (model, engine, t), runs in results.items():
        if model in ("cluster", "bandwidth"):
            continue
        rss = f"{max(r['peak RSS'] for r in runs) / 2**20:.0f}" if "peak RSS" in runs[0] else "-"
        print(f"| {model} | {engine} | {t} | {runs[0]['prompt tokens']} | {spread((model, engine, t), 'prefill', '%.0f')} | "
              f"{spread((model, engine, t), 'generation', '%.1f')} | {rss} |")

    comparisons = [("llama.cpp, SmolLM2, same GGUF", ("SmolLM2 GGUF", "dllama"), ("SmolLM2 GGUF", "llama.cpp")),
                   ("distributed-llama, SmolLM2, same Q40 .m", ("SmolLM2 Q40 .m", "dllama"), ("SmolLM2 Q40 .m", "distributed-llama")),
                   ("distributed-llama, SmolLM2, ours on the GGUF", ("SmolLM2 GGUF", "dllama"), ("SmolLM2 Q40 .m", "distributed-llama")),
                   ("llama.cpp, Qwen2.5-Coder-0.5B, same GGUF", ("Qwen2.5-Coder-0.5B GGUF", "dllama"), ("Qwen2.5-Coder-0.5B GGUF", "llama.cpp"))]
    label = " / ".join(f"{t}" for t in threads)
    print(f"\n| ours over | generation {label} thread{'s' if threads != [1] else ''} | prefill {label} thread{'s' if threads != [1] else ''} |")
    print("|---|---|---|")
    for name, (om, oe), (pm, pe) in comparisons:
        if not all((pm, pe, t) in results and (om, oe, t) in results for t in threads):
            continue
        ratio = lambda field: " / ".join(f"{median(results, (om, oe, t), field) / median(results, (pm, pe, t), field):.2f}" for t in threads)
        print(f"| {name} | {ratio('generation')} | {ratio('prefill')} |")

    # Decode against the memory bound: each generated token reads every weight byte the node holds
    # once (`modelWeightBytes`: the layers and the output matrix; an embedding table apart from the
    # output is only looked up, one row per token, and not counted).
    print(f"\nDecode against the read bandwidth `dllama info --bandwidth` measured in the same rounds (medians):\n")
    print("| model | threads | weight MB per token | decode GB/s | read bandwidth GB/s | decode / bandwidth |")
    print("|---|---|---|---|---|---|")
    for (model, engine, t), runs in results.items():
        if engine != "dllama" or model in ("cluster", "bandwidth"):
            continue
        bandwidth = statistics.median(results[("bandwidth", "dllama info", t)])
        decode = median(results, (model, engine, t), "generation") * runs[0]["weight bytes"] / 1e9
        print(f"| {model} | {t} | {runs[0]['weight bytes'] / 1e6:.1f} | {decode:.1f} | {bandwidth:.1f} | {decode / bandwidth:.0%} |")

    if any(k[0] == "cluster" for k in results):
        print(f"\nSmolLM2 on local nodes (root + workers on 127.0.0.1, one thread each, all on this machine's cores): "
              f"ours tensor-parallel with f16 activations (GGUF), distributed-llama q80 with --net-turbo 0 (Q40 .m)\n")
        print("| engine | nodes | generation tokens/s | prefill tokens/s | root sync ms/token | root sent / received kB/token |")
        print("|---|---|---|---|---|---|")
        for (kind, engine, n), runs in results.items():
            if kind != "cluster":
                continue
            key = (kind, engine, n)
            print(f"| {engine} | {n} | {spread(key, 'generation', '%.1f')} | {spread(key, 'prefill', '%.0f')} | "
                  f"{median(results, key, 'sync ms'):.1f} | {median(results, key, 'sent kB'):.1f} / {median(results, key, 'received kB'):.1f} |")
        for n in (1, 3):
            if ("cluster", "distributed-llama", n) in results:
                print(f"\n{n} node{'s' if n > 1 else ''}: ours / distributed-llama = "
                      f"{median(results, ('cluster', 'dllama', n), 'generation') / median(results, ('cluster', 'distributed-llama', n), 'generation'):.2f} "
                      f"(generation), {median(results, ('cluster', 'dllama', n), 'prefill') / median(results, ('cluster', 'distributed-llama', n), 'prefill'):.2f} (prefill)")


if __name__ == "__main__":
    main()
