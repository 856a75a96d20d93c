#!/usr/bin/env python3
"""Cluster benchmark: generation tokens/s, sync ms and bytes per token for 1, 2 and 3 local nodes
(root + 0, 1, 2 workers on 127.0.0.1), optionally side by side with distributed-llama.

Rounds are interleaved (every configuration once per round, in turn), and medians reported, because
these machines drift by 30% or more between minutes: only figures from one run compare.

    Benchmarks/cluster/bench-cluster.py [--rounds 5] [--tokens 128] [--nodes 1,2,3] [--threads 1]
                                        [--buffer-float-type f16] [--mode tensor]
    # with distributed-llama (its binary and a .m/.t of the same model, e.g. from `dllama convert`):
    DLLAMA_BIN=.../dllama DLLAMA_MODEL=smollm2-q40.m DLLAMA_TOKENIZER=smollm2-q40.t Benchmarks/cluster/bench-cluster.py

Ours runs with each node's own copy of the file; distributed-llama's root sends its workers their
weights at start-up (not timed here: only generation is). Both use blocking sockets
(distributed-llama with --net-turbo 0: its default busy-polling starves 3 processes on 2 cores).
"""
import argparse, os, re, socket, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMPT = "Once upon a time, in a small village,"


def start_workers(count, cmd_for, ready, timeout=60):
    procs = []
    for i in range(count):
        log = open(f"/tmp/bench-cluster-worker{i}.log", "w+")
        procs.append((subprocess.Popen(cmd_for(i), stdout=log, stderr=subprocess.STDOUT), log))
    addresses = []
    try:
        wait_ready(procs, ready, timeout, addresses)
    except BaseException:
        stop(procs)
        raise
    return procs, addresses


def wait_ready(procs, ready, timeout, addresses):
    for proc, log in procs:
        deadline = time.time() + timeout
        while time.time() < deadline:
            log.seek(0)
            m = ready(log.read())
            if m:
                addresses.append(m)
                break
            if proc.poll() is not None:
                raise SystemExit(f"a worker exited: {open(log.name).read()}")
            time.sleep(0.05)
        else:
            raise SystemExit("a worker did not start listening")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(procs):
    for proc, log in procs:
        proc.terminate()
    for proc, log in procs:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run_ours(args, nodes):
    binary = os.path.join(args.build, "dllama")
    worker = os.path.join(args.build, "dllama-worker")
    procs, addresses = start_workers(
        nodes - 1,
        lambda i: [worker, "--model", args.model, "--host", "127.0.0.1", "--port", "0", "--nthreads", str(args.threads)],
        lambda text: (m := re.search(r"listening on (127\.0\.0\.1:\d+)", text)) and m.group(1))
    try:
        cmd = [binary, "inference", "--model", args.model, "--prompt", PROMPT, "--steps", str(args.tokens),
               "--temperature", "0", "--max-seq-len", "512", "--nthreads", str(args.threads),
               "--buffer-float-type", args.buffer_float_type]
        if addresses:
            cmd += ["--workers", *addresses, "--mode", args.mode]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    finally:
        stop(procs)
    if out.returncode != 0:
        raise SystemExit(f"dllama failed: {out.stderr}")
    gen = re.search(r"generation \d+ tokens, ([\d.]+) tokens/s", out.stderr)
    cluster = re.search(r"per token ([\d.]+) ms compute, ([\d.]+) ms sync, ([\d.]+) (\w+) sent, ([\d.]+) (\w+) received", out.stderr)
    unit = {"B": 1, "KiB": 1024, "MiB": 1 << 20}
    result = {"tokens/s": float(gen.group(1)), "sync ms": 0.0, "sent kB": 0.0, "received kB": 0.0}
    if cluster:
        result["sync ms"] = float(cluster.group(2))
        result["sent kB"] = float(cluster.group(3)) * unit[cluster.group(4)] / 1000
        result["received kB"] = float(cluster.group(5)) * unit[cluster.group(6)] / 1000
    return result


def run_peer(args, nodes):
    binary = os.environ["DLLAMA_BIN"]
    ports = [free_port() for _ in range(nodes - 1)]
    procs, addresses = start_workers(
        nodes - 1,
        # stdbuf: its "Listening on" line would otherwise sit in a pipe buffer.
        lambda i: ["stdbuf", "-oL", binary, "worker", "--port", str(ports[i]), "--nthreads", str(args.threads), "--net-turbo", "0"],
        lambda text: (m := re.search(r"Listening on 0\.0\.0\.0:(\d+)", text)) and f"127.0.0.1:{m.group(1)}")
    try:
        cmd = [binary, "inference", "--model", os.environ["DLLAMA_MODEL"], "--tokenizer", os.environ["DLLAMA_TOKENIZER"],
               "--prompt", PROMPT, "--steps", str(args.tokens), "--temperature", "0", "--max-seq-len", "512",
               "--nthreads", str(args.threads), "--buffer-float-type", "q80", "--net-turbo", "0"]
        if addresses:
            cmd += ["--workers", *addresses]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    finally:
        stop(procs)
    text = out.stdout + out.stderr
    gen = re.search(r"Prediction\s+nTokens:\s+\d+\s+tokens/s:\s+([\d.]+)", text)
    if not gen:
        raise SystemExit(f"distributed-llama failed: {text[-2000:]}")
    per_token = re.findall(r"Sync\s+(\d+) ms \| Sent\s+(\d+) kB Recv\s+(\d+) kB", text)
    generated = per_token[-(args.tokens // 2):] or [("0", "0", "0")]
    return {"tokens/s": float(gen.group(1)),
            "sync ms": statistics.median(float(s) for s, _, _ in generated),
            "sent kB": statistics.median(float(s) for _, s, _ in generated),
            "received kB": statistics.median(float(r) for _, _, r in generated)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=os.path.join(os.environ.get("DLLAMA_ASSETS", os.path.join(ROOT, ".assets")),
                                                   "SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--build", default=os.path.join(ROOT, ".build", "release"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--nodes", default="1,2,3")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--buffer-float-type", default="f16")
    p.add_argument("--mode", default="tensor")
    p.add_argument("--peer-nodes", default="1,3",
                   help="node counts distributed-llama accepts for the model (it needs the head count divisible by them: 1 and 3 for SmolLM2)")
    args = p.parse_args()
    args.peer_nodes = [int(n) for n in args.peer_nodes.split(",")]
    nodes = [int(n) for n in args.nodes.split(",")]
    engines = [("dllama (this project)", run_ours)]
    if os.environ.get("DLLAMA_BIN"):
        engines.append(("distributed-llama", run_peer))
    results = {}
    for r in range(args.rounds):
        for n in nodes:
            for name, run in engines:
                if name == "distributed-llama" and n not in args.peer_nodes:
                    continue
                results.setdefault((name, n), []).append(run(args, n))
                last = results[(name, n)][-1]
                print(f"round {r + 1}: {name}, {n} node{'s' if n > 1 else ''}: {last['tokens/s']:.1f} tokens/s", file=sys.stderr)
    print(f"\nSmolLM2, {args.tokens} greedy tokens, {args.threads} thread(s) per node, ours with {args.buffer_float_type} "
          f"({args.mode}), distributed-llama with q80; medians of {args.rounds} interleaved rounds (min-max)\n")
    print(f"| engine | nodes | generation tokens/s | sync ms/token | sent kB/token | received kB/token |")
    print(f"|---|---|---|---|---|---|")
    for (name, n), runs in results.items():
        med = {k: statistics.median(x[k] for x in runs) for k in runs[0]}
        low, high = min(x["tokens/s"] for x in runs), max(x["tokens/s"] for x in runs)
        print(f"| {name} | {n} | {med['tokens/s']:.1f} ({low:.0f}-{high:.0f}) | {med['sync ms']:.1f} | "
              f"{med['sent kB']:.1f} | {med['received kB']:.1f} |")
    if len(engines) == 2:
        print()
        for n in nodes:
            if (engines[1][0], n) not in results:
                continue
            ours = statistics.median(x["tokens/s"] for x in results[(engines[0][0], n)])
            peer = statistics.median(x["tokens/s"] for x in results[(engines[1][0], n)])
            print(f"{n} node{'s' if n > 1 else ''}: ours / distributed-llama = {ours / peer:.2f}")


if __name__ == "__main__":
    main()
