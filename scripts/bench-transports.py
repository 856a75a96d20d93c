#!/usr/bin/env python3
"""MPI against TCP on the same local ranks: tokens/s, sync ms and CPU per token, medians of rounds.

Each round runs, one after the other (so every transport sees the same machine conditions):
  tcp         dllama --workers with two dllama-worker processes on 127.0.0.1
  mpi-sleep   mpirun --oversubscribe -np 3 dllama (DLLAMA_MPI_WAIT=sleep, the default)
  mpi-yield   the same with DLLAMA_MPI_WAIT=yield
and with --spin also
  mpi-spin    DLLAMA_MPI_WAIT=spin and --mca mpi_yield_when_idle 0: Open MPI's busy polling
              (slow: use few --steps)
Every run is greedy generation of --steps tokens after the peers' prompt, 1 thread per node.
CPU s is the user + system time of every process of the run (the ranks, mpirun, the workers),
loading included: what the waiting costs the machine.

    make build-mpi
    scripts/bench-transports.py --rounds 7 --steps 128          # the figures in docs/performance.md
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

PROMPT = "Once upon a time, in a small village,"
SUMMARY = re.compile(r"prefill (\d+) tokens, ([\d.]+) tokens/s; generation (\d+) tokens, ([\d.]+) tokens/s")
CLUSTER = re.compile(r"per token ([\d.]+) ms compute, ([\d.]+) ms sync, ([\d.]+) (B|KiB|MiB) sent")
UNITS = {"B": 1 / 1024, "KiB": 1, "MiB": 1024}


def run(argv, env=None, stdin=None):
    """Runs argv to the end; returns (stderr text, CPU seconds of it and its waited-for children)."""
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        err.seek(0)
        text = err.read().decode(errors="replace")
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{' '.join(argv)} failed:\n{text}")
        return text, usage.ru_utime + usage.ru_stime


def worker(build, model):
    """A dllama-worker on 127.0.0.1 at a port it picks; returns (process, address)."""
    log = tempfile.NamedTemporaryFile(delete=False)
    process = subprocess.Popen([f"{build}/dllama-worker", "--model", model, "--host", "127.0.0.1", "--port", "0"],
                               stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(300):
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log.name).read())
        if found:
            return process, log.name, f"127.0.0.1:{found.group(1)}"
        time.sleep(0.02)
    process.kill()
    sys.exit(f"the worker did not start: {open(log.name).read()}")


def measure(kind, args):
    """One run of `kind`: generation and prefill tokens/s, sync ms and KiB sent per token, CPU seconds of the run."""
    inference = ["inference", "--model", args.model, "--prompt", PROMPT, "--steps", str(args.steps), "--temperature", "0",
                 "--max-seq-len", "512", "--buffer-float-type", args.wire, "--nthreads", "1"]
    if kind == "tcp":
        workers = [worker(args.build, args.model) for _ in range(2)]
        text, cpu = run([f"{args.build}/dllama"] + inference + ["--workers"] + [w[2] for w in workers])
        for process, log, _ in workers:
            process.terminate()
            _, _, usage = os.wait4(process.pid, 0)
            cpu += usage.ru_utime + usage.ru_stime
            os.unlink(log)
    else:
        wait = kind.split("-")[1]
        mca = ["--mca", "mpi_yield_when_idle", "0"] if wait == "spin" else []
        text, cpu = run(["mpirun", "--oversubscribe", "--bind-to", "none", "-np", "3"] + mca
                        + ["-x", "DLLAMA_MPI_WAIT", f"{args.build}/dllama"] + inference + ["--transport", "mpi"],
                        env={"DLLAMA_MPI_WAIT": wait, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
    summary, cluster = SUMMARY.search(text), CLUSTER.search(text)
    if not summary or not cluster:
        sys.exit(f"{kind}: no summary in\n{text}")
    return {"generation tokens/s": float(summary.group(4)), "prefill tokens/s": float(summary.group(2)),
            "sync ms/token": float(cluster.group(2)), "KiB sent/token": float(cluster.group(3)) * UNITS[cluster.group(4)],
            "CPU s": cpu}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--wire", default="f16", choices=["q80", "f16", "f32"])
    parser.add_argument("--build", default=".build-mpi/release", help="products of `make build-mpi`")
    parser.add_argument("--model", default=os.environ.get("DLLAMA_ASSETS", ".assets") + "/SmolLM2-135M-Instruct.Q4_1.gguf")
    parser.add_argument("--spin", action="store_true", help="also Open MPI's busy polling (slow)")
    args = parser.parse_args()
    kinds = ["tcp", "mpi-sleep", "mpi-yield"] + (["mpi-spin"] if args.spin else [])
    results = {kind: [] for kind in kinds}
    for round in range(args.rounds):
        for kind in kinds:
            results[kind].append(measure(kind, args))
            print(f"round {round + 1} {kind}: " + ", ".join(f"{v:.1f} {k}" for k, v in results[kind][-1].items()), file=sys.stderr)
    metrics = list(results[kinds[0]][0])
    print(f"\nmedians of {args.rounds} rounds, {args.steps} steps, {args.wire} on the wire, 3 nodes of 1 thread on {os.cpu_count()} cores\n")
    print("| transport | " + " | ".join(metrics) + " |")
    print("|---|" + "---|" * len(metrics))
    for kind in kinds:
        print(f"| {kind} | " + " | ".join(f"{statistics.median(r[m] for r in results[kind]):.1f}" for m in metrics) + " |")


if __name__ == "__main__":
    main()
