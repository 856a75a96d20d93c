#!/usr/bin/env python3
"""Checks `dllama plan --link` against measurement: 2 local nodes of SmolLM2 (one thread each)
with every TCP link shaped in user space (DLLAMA_LINK_SHAPE, Transport's ShapedStream) at three
settings, against the prediction made from an unshaped profile of the same machine.

    make bench-link        # or: Benchmarks/cluster/validate-link-model.py [--rounds 5] [--links 10gbit,0.1ms 1gbit,0.3ms 100mbit,1ms]

1. profile: `dllama bench --nodes 1,2 --threads 1 --json` (no shaping): compute per token as a line over
   the weight bytes a node holds, and the cost of a collective on loopback;
2. per link: `dllama plan --nodes 2 --link L --profile profile.json` (the prediction) and
   `DLLAMA_LINK_SHAPE=L dllama bench --nodes 2 --json` (the measurement), medians of --rounds.
The three measurements run interleaved, round by round, after the profile; the profile is measured
again at the end and both predictions are shown, so drift of the machine during the run is visible.
"""
import argparse, json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bench(args, nodes, rounds, link=None):
    env = dict(os.environ)
    env.pop("DLLAMA_LINK_SHAPE", None)
    if link:
        env["DLLAMA_LINK_SHAPE"] = link
    out = subprocess.run([os.path.join(args.build, "dllama"), "bench", "--model", args.model, "--nodes", nodes, "--threads", "1",
                          "--rounds", str(rounds), "--tokens", str(args.tokens), "--json"],
                         capture_output=True, text=True, env=env, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"dllama bench failed: {out.stderr[-2000:]}")
    return out.stdout


def predict(args, profile_json, link):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(profile_json)
    try:
        out = subprocess.run([os.path.join(args.build, "dllama"), "plan", "--model", args.model, "--nodes", "2",
                              "--profile", f.name, "--link", link, "--json"], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        raise SystemExit(f"dllama plan failed: {out.stderr}")
    p = json.loads(out.stdout)["predictions"][0]
    return p["tokensPerSecond"], p


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    assets = os.environ.get("DLLAMA_ASSETS", os.path.join(ROOT, ".assets"))
    p.add_argument("--model", default=os.path.join(assets, "SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--build", default=os.path.join(ROOT, ".build", "release"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--links", nargs="+", default=["10gbit,0.1ms", "1gbit,0.3ms", "100mbit,1ms"])
    args = p.parse_args()

    before = bench(args, "1,2", args.rounds)
    measured = {link: [] for link in args.links}
    for r in range(args.rounds):
        for link in args.links:
            result = json.loads(bench(args, "2", 1, link))["results"][0]
            measured[link].append(result["generationTokensPerSecond"]["median"])
            print(f"round {r + 1}/{args.rounds}, {link}: {measured[link][-1]:.1f} tokens/s", file=sys.stderr)
    after = bench(args, "1,2", args.rounds)

    print(f"\nSmolLM2, 2 local nodes x 1 thread, {args.tokens} tokens, medians of {args.rounds} rounds; profile measured "
          f"before and after the shaped runs\n")
    print("| link | measured tokens/s | predicted (profile before) | error | predicted (profile after) | error | "
          "compute / collectives / link ms per token (before) |")
    print("|---|---|---|---|---|---|---|")
    for link in args.links:
        values = sorted(measured[link])
        median = values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
        first, parts = predict(args, before, link)
        second, _ = predict(args, after, link)
        print(f"| {link} | {median:.1f} ({values[0]:.1f}-{values[-1]:.1f}) | {first:.1f} | {100 * (first / median - 1):+.0f}% | "
              f"{second:.1f} | {100 * (second / median - 1):+.0f}% | {parts['computeMilliseconds']:.2f} / "
              f"{parts['collectiveMilliseconds']:.2f} / {parts['linkMilliseconds']:.2f} |")


if __name__ == "__main__":
    main()
