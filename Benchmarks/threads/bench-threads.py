#!/usr/bin/env python3
"""The kernel thread pool under oversubscription: generation tokens/s of `dllama bench` (SmolLM2,
greedy, a fixed number of tokens) with as many threads as cores, with twice as many, and with a
second dllama process running beside it, for one or more builds, interleaved round by round so that
the machine's drift hits every configuration alike. Prints medians and the ratios the pool is
judged by (docs/performance.md, "Thread pool").

    Benchmarks/threads/bench-threads.py [--builds .build/release,/tmp/before] [--rounds 5] [--tokens 128]
                                        [--peers-python .venv-peers/bin/python]

Configurations (C = the cores available):
  alone tN       one process, N threads
  pair tN        two processes at once, N threads each; the figure is the mean of the two
Ratios: tN / tC, pair t1 / alone t1, and the pair at one thread each, both together, over one
process on every core.

With --peers-python (the peers' virtual environment, `make peers-venv`), llama.cpp runs the same
configurations on the same model and paragraph, interleaved with ours: its pair ratio says what the
machine's memory leaves a pair of engines that read as fast as they can, and how fast they read.
"""
import argparse, importlib, json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEERS = os.path.join(ROOT, "Benchmarks", "peers")
sys.path.insert(0, PEERS)
PARAGRAPH = importlib.import_module("bench-peers").PARAGRAPH  # also `dllama bench`'s default prompt
LLAMA_CPP = "llama.cpp"
WARMUP_TOKENS = "16"


def command(build, model, threads, tokens, peers_python):
    if build == LLAMA_CPP:
        return [peers_python, os.path.join(PEERS, "llamacpp_run.py"), model, str(threads), str(tokens), WARMUP_TOKENS]
    return [os.path.join(build, "dllama"), "bench", "--model", model, "--threads", str(threads), "--tokens", str(tokens),
            "--rounds", "1", "--warmup-tokens", WARMUP_TOKENS, "--json"]


def generation(build, output):
    document = json.loads(output)
    if build == LLAMA_CPP:
        return document["generationTokensPerSecond"]
    return document["results"][0]["generationTokensPerSecond"]["median"]


def run(build, model, threads, tokens, processes, peers_python):
    running = [subprocess.Popen(command(build, model, threads, tokens, peers_python), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(processes)]
    rates = []
    for p in running:
        out, err = p.communicate(input=PARAGRAPH if build == LLAMA_CPP else "", timeout=1800)
        if p.returncode != 0:
            raise SystemExit(f"{build} failed: {err[-2000:]}")
        rates.append(generation(build, out))
    return statistics.mean(rates)


def main():
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builds", default=os.path.join(ROOT, ".build", "release"),
                        help="comma-separated folders holding a dllama binary (default: .build/release)")
    parser.add_argument("--model", default=os.path.join(os.environ.get("DLLAMA_ASSETS", os.path.join(ROOT, ".assets")),
                                                        "SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--peers-python", help="the peers' virtualenv python: llama.cpp runs the same configurations")
    args = parser.parse_args()
    builds = args.builds.split(",") + ([LLAMA_CPP] if args.peers_python else [])
    configurations = [("alone", cores), ("alone", 2 * cores), ("alone", 1), ("pair", 1), ("pair", cores)]
    samples = {(b, c): [] for b in builds for c in configurations}
    for round in range(1, args.rounds + 1):
        for build in builds:
            for configuration in configurations:
                kind, threads = configuration
                rate = run(build, args.model, threads, args.tokens, 2 if kind == "pair" else 1, args.peers_python)
                samples[(build, configuration)].append(rate)
                print(f"round {round}/{args.rounds} {build} {kind} t{threads}: {rate:.1f} tokens/s", file=sys.stderr, flush=True)
    print(f"{cores} cores, {args.rounds} rounds of {args.tokens} tokens, generation tokens/s (median)\n")
    # The last column: both processes of the pair together against one process on every core. Where one
    # thread alone reads most of what the memory gives (Benchmarks/CKernelHarness/read_pair.c), the pair
    # cannot keep 80 % each; this says whether the pair lost anything beyond that shared bound.
    print("| build | " + " | ".join(f"{k} t{t}" for k, t in configurations)
          + f" | t{2 * cores} / t{cores} | pair t1 / alone t1 | pair t1, both / alone t{cores} |")
    print("|---" * (len(configurations) + 4) + "|")
    for build in builds:
        m = {c: statistics.median(samples[(build, c)]) for c in configurations}
        print(f"| {build} | " + " | ".join(f"{m[c]:.1f}" for c in configurations)
              + f" | {m[('alone', 2 * cores)] / m[('alone', cores)]:.2f} | {m[('pair', 1)] / m[('alone', 1)]:.2f}"
              + f" | {2 * m[('pair', 1)] / m[('alone', cores)]:.2f} |")


if __name__ == "__main__":
    main()
