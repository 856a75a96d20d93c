#!/usr/bin/env python3
"""Soak: many requests through `dllama serve` with two workers on this machine, streamed and not,
some clients leaving mid-stream; reports failures and every process's RSS along the way, so a leak
shows as growth.

    scripts/soak.py [--requests 1000] [--clients 4] [--tokens 12] [--build .build/release] [--model M]

Exits non-zero if any request failed (anything but a complete answer, or a deliberate disconnect)
or if a process's RSS grew by more than --max-growth MiB between the first and last tenth.
"""
import argparse, json, os, random, re, socket, subprocess, sys, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start(cmd, marker, log_name):
    log = open(f"/tmp/soak-{log_name}.log", "w+")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        log.seek(0)
        m = re.search(marker, log.read())
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            raise SystemExit(f"{log_name} exited: {open(log.name).read()}")
        time.sleep(0.05)
    raise SystemExit(f"{log_name} did not start")


def request(port, body, leave_after=None):
    """Sends a completion request; returns ('ok', text), ('left', n) or ('failed', why)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    data = json.dumps(body).encode()
    s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
              + f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    received = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            received += chunk
            if leave_after is not None and received.count(b"data: {") >= leave_after:
                s.close()
                return ("left", leave_after)
    finally:
        s.close()
    head, _, rest = received.partition(b"\r\n\r\n")
    status = head.split(b" ")[1] if b" " in head else b"?"
    if status != b"200":
        return ("failed", f"status {status.decode()}: {rest[:200]!r}")
    if body.get("stream"):
        if b"data: [DONE]" not in rest:
            return ("failed", f"stream without [DONE]: {rest[-200:]!r}")
        return ("ok", "")
    if b'"finish_reason"' not in rest:
        return ("failed", f"no finish_reason: {rest[:200]!r}")
    return ("ok", "")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--tokens", type=int, default=12)
    p.add_argument("--build", default=os.path.join(ROOT, ".build", "release"))
    p.add_argument("--model", default=os.path.join(os.environ.get("DLLAMA_ASSETS", os.path.join(ROOT, ".assets")),
                                                   "SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--max-growth", type=float, default=16.0, help="MiB of RSS growth allowed between the first and last tenth")
    args = p.parse_args()

    procs = []
    try:
        workers = []
        for i in range(2):
            proc, address = start([os.path.join(args.build, "dllama-worker"), "--model", args.model, "--host", "127.0.0.1", "--port", "0"],
                                  r"listening on (127\.0\.0\.1:\d+)", f"worker{i + 1}")
            procs.append(("worker %d" % (i + 1), proc))
            workers.append(address)
        server, port = start([os.path.join(args.build, "dllama"), "serve", "--model", args.model, "--host", "127.0.0.1", "--port", "0",
                              "--max-seq-len", "512", "--nthreads", "1", "--workers", *workers],
                             r"listening on http://127\.0\.0\.1:(\d+)", "server")
        procs.insert(0, ("server", server))
        port = int(port)

        prompts = ["Once upon a time,", "The capital of France is", "Water boils at", "My favourite colour is",
                   "In 1969, the first", "def fibonacci(n):", "The three primary colours are"]
        counts = {"ok": 0, "left": 0, "failed": 0}
        failures = []
        samples = []  # (requests done, {name: rss})
        lock = threading.Lock()
        next_index = [0]
        rng = random.Random(7)
        plan = [(rng.choice(prompts), rng.random() < 0.5, rng.random() < 0.1) for _ in range(args.requests)]

        def client():
            while True:
                with lock:
                    i = next_index[0]
                    if i >= args.requests:
                        return
                    next_index[0] += 1
                prompt, stream, leave = plan[i]
                body = {"model": "x", "prompt": prompt, "max_tokens": args.tokens, "temperature": 0.7, "seed": i, "stream": stream}
                body["model"] = model_name
                try:
                    outcome, detail = request(port, body, leave_after=3 if (stream and leave) else None)
                except Exception as e:  # a refused or reset connection is a failure too
                    outcome, detail = "failed", repr(e)
                with lock:
                    counts[outcome] += 1
                    if outcome == "failed":
                        failures.append(detail)
                    done = sum(counts.values())
                    if done % max(args.requests // 10, 1) == 0:
                        samples.append((done, {name: rss_mib(proc.pid) for name, proc in procs}))
                        print(f"{done} requests: {counts}; RSS " + ", ".join(f"{n} {r:.1f} MiB" for n, r in samples[-1][1].items()),
                              file=sys.stderr)

        models = json.loads(urlopen_get(port, "/v1/models"))
        model_name = models["data"][0]["id"]
        samples.append((0, {name: rss_mib(proc.pid) for name, proc in procs}))
        start_time = time.time()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - start_time
        print(f"\n{args.requests} requests ({args.clients} clients, {args.tokens} tokens each, half streamed, "
              f"a tenth of the streams left after 3 chunks) in {elapsed:.0f} s: {counts}")
        first, last = samples[1] if len(samples) > 1 else samples[0], samples[-1]
        grew = False
        print("| process | RSS after a tenth | RSS at the end | growth |")
        print("|---|---|---|---|")
        for name in first[1]:
            growth = last[1][name] - first[1][name]
            grew |= growth > args.max_growth
            print(f"| {name} | {first[1][name]:.1f} MiB | {last[1][name]:.1f} MiB | {growth:+.1f} MiB |")
        for f in failures[:10]:
            print("failed:", f)
        exited = [name for name, proc in procs if proc.poll() is not None]
        if exited:
            print("exited during the soak:", exited)
        sys.exit(1 if failures or grew or exited else 0)
    finally:
        for _, proc in procs:
            proc.terminate()
        for _, proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def urlopen_get(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    body = data.partition(b"\r\n\r\n")[2]
    if data.split(b"\r\n")[0].lower().find(b"chunked") >= 0 or b"transfer-encoding: chunked" in data.lower():
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return body


if __name__ == "__main__":
    main()
