#!/usr/bin/env bash
# A root and two workers on this machine: each worker reads its own share of MODEL from disk, and
# only activations cross the (loopback) network. Prints the same text as `make demo`.
#
#   scripts/demo-cluster.sh MODEL PROMPT
set -euo pipefail
model=$1 prompt=$2
bin=$(cd "$(dirname "$0")/.." && pwd)/.build/release
logs=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$logs"; }
trap cleanup EXIT
addresses=()
for i in 1 2; do
  "$bin/dllama-worker" --model "$model" --host 127.0.0.1 --port 0 >"$logs/worker$i.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q "listening on" "$logs/worker$i.log" && break; sleep 0.1; done
  address=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$logs/worker$i.log" | cut -d' ' -f3) \
    || { cat "$logs/worker$i.log" >&2; exit 1; }
  echo "worker $i listening on $address"
  addresses+=("$address")
done
"$bin/dllama" inference --model "$model" --prompt "$prompt" --steps 64 --temperature 0 --nthreads 1 \
  --max-seq-len 1024 --workers "${addresses[@]}"
