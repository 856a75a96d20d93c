#!/usr/bin/env python3
"""Planned Llama 3.1 clusters (docs/performance.md): for 8B, 70B and 405B (Q40 weights, as
distributed-llama's .m files) on 2 to 16 nodes, what `dllama plan --model-shape` says each node
needs and what crosses the wire per token, and the tokens/s `dllama plan --link` predicts from a
profile measured here (`dllama bench --nodes 1,2 --threads 1,2 --json > profile.json`).

    Benchmarks/cluster/planned-clusters.py --profile profile.json [--threads 1] [--max-seq-len 4096]

Tensor mode up to the 8 KV heads, hybrid (two tensor-parallel stages of 8) for 16 nodes.
"""
import argparse, json, os, subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def plan(args, model, nodes, links, wire):
    cmd = [os.path.join(args.build, "dllama"), "plan", "--model-shape", model, "--nodes", str(nodes), "--max-seq-len",
           str(args.max_seq_len), "--buffer-float-type", wire, "--json", "--mode", "tensor" if nodes <= 8 else "hybrid"]
    if links:
        cmd += ["--profile", args.profile, "--threads", str(args.threads)] + [a for l in links for a in ("--link", l)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"dllama plan failed: {out.stderr}")
    return json.loads(out.stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-seq-len", type=int, default=4096)
    p.add_argument("--build", default=os.path.join(ROOT, ".build", "release"))
    p.add_argument("--links", nargs=2, default=["1gbit,0.1ms", "10gbit,0.05ms"])
    args = p.parse_args()
    published = {("llama3.1-8b", 2): 544, ("llama3.1-8b", 4): 1632, ("llama3.1-8b", 8): 3808}
    gib = 1 << 30
    print(f"| model | nodes | RAM per node (est.) | weights read from disk per node | on the wire per token, q80 (all nodes) | "
          f"distributed-llama's published, q80 | f16 | tokens/s over {args.links[0]} | over {args.links[1]} |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model in ("llama3.1-8b", "llama3.1-70b", "llama3.1-405b"):
        for nodes in (1, 2, 4, 8, 16):
            q80 = plan(args, model, nodes, args.links, "q80")
            f16 = plan(args, model, nodes, [], "f16")
            estimates = q80["plan"]["estimates"]
            wire = sum(e["sentBytesPerToken"] for e in estimates) / 1000
            wire16 = sum(e["sentBytesPerToken"] for e in f16["estimates"]) / 1000
            ram = max(e["estimatedRAM"] for e in estimates) / gib
            disk = max(e["weightBytes"] for e in estimates) / gib
            speeds = [f"{x['tokensPerSecond']:.2f}" for x in q80["predictions"]]
            mine = published.get((model, nodes))
            print(f"| {model} | {nodes} | {ram:.1f} GiB | {disk:.1f} GiB | {wire:.0f} kB | {f'{mine} kB' if mine else '-'} | "
                  f"{wire16:.0f} kB | {speeds[0]} | {speeds[1]} |")


if __name__ == "__main__":
    main()
