#!/usr/bin/env python3
"""Golden data for QuantKernelsTests, made by code we did not write.

  python3 Tests/Fixtures/make_quant_fixtures.py Tests/Fixtures/quant \
      --oracle /work/shared/oracle --smollm2 .assets/SmolLM2-135M-Instruct.Q4_1.gguf

1. oracle_input.f32 (seeded float32 values) and its Q40 / Q80 encodings oracle_q40.bin, oracle_q80.bin
   written by the team oracle's q40_bytes / q80_bytes (ports of distributed-llama's converter).
2. gguf_<type>.bin (seeded random blocks) and gguf_<type>.f32, their dequantization by the `gguf`
   package (gguf.quants.dequantize), for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K.
3. smollm2.json + smollm2_<tensor>.rows.f32: for two tensors of SmolLM2-135M-Instruct Q4_1, where the
   gguf package finds them in the file, their first two rows dequantized by the gguf package, and
   over the whole dequantized tensor a float64 sum and a bit checksum
   sum(float32 bits[i] * (2 i + 1)) mod 2^64.
"""
import argparse, json, os, sys
import numpy as np

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--oracle", required=True, help="folder holding make_tiny_model.py")
    ap.add_argument("--smollm2", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    sys.path.insert(0, args.oracle)
    from make_tiny_model import q40_bytes, q80_bytes
    import gguf
    from gguf import GGUFReader, GGMLQuantizationType as T

    # 1. oracle encodings of 37 blocks: cos-shaped data at varied scales plus edge blocks
    rng = np.random.default_rng(20261127)
    blocks = []
    for b in range(33):
        i = np.arange(32)
        scale = [1.0, 0.01, 100.0, 3.7][b % 4]
        blocks.append((0.1 + 2 * np.cos(i + b)) * scale + rng.normal(0, 0.3 * scale, 32))
    blocks.append(np.zeros(32))                                   # all zero: d = 0
    blocks.append(np.linspace(-5, 3, 32))                         # negative extreme dominates
    edge = rng.normal(0, 1, 32); edge[3] = 4.0; edge[9] = -4.0     # max == -min: the max wins
    blocks.append(edge)
    blocks.append(np.arange(32) - 15.5)                           # exact halves after scaling
    x = np.concatenate(blocks).astype(np.float32)
    x.tofile(os.path.join(args.out, "oracle_input.f32"))
    open(os.path.join(args.out, "oracle_q40.bin"), "wb").write(q40_bytes(x))
    open(os.path.join(args.out, "oracle_q80.bin"), "wb").write(q80_bytes(x))

    # 2. gguf-package dequantization of random blocks (scales set to sane half floats)
    def half(v): return np.array([v], dtype=np.float16).view(np.uint8)
    layouts = {  # type: (bytes per block, offsets of f16 fields)
        T.Q4_0: (18, [0]), T.Q4_1: (20, [0, 2]), T.Q5_0: (22, [0]), T.Q5_1: (24, [0, 2]),
        T.Q8_0: (34, [0]), T.Q4_K: (144, [0, 2]), T.Q5_K: (176, [0, 2]), T.Q6_K: (210, [208]),
    }
    for t, (size, halves) in layouts.items():
        raw = rng.integers(0, 256, size=(5, size), dtype=np.uint8)
        for blk in raw:
            for off in halves:
                blk[off:off + 2] = half(rng.uniform(-0.05, 0.05))
        values = gguf.quants.dequantize(raw, t).astype(np.float32).reshape(-1)
        name = t.name.lower()
        raw.tofile(os.path.join(args.out, f"gguf_{name}.bin"))
        values.tofile(os.path.join(args.out, f"gguf_{name}.f32"))

    # 3. SmolLM2 tensors
    reader = GGUFReader(args.smollm2)
    report = {"file": os.path.basename(args.smollm2), "tensors": []}
    for name in ["blk.0.attn_q.weight", "token_embd.weight"]:
        tensor = next(t for t in reader.tensors if t.name == name)
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        values = values.reshape(-1, int(tensor.shape[0]))            # [rows][columns]
        bits = values.reshape(-1).view(np.uint32).astype(np.uint64)
        weights = (2 * np.arange(bits.size, dtype=np.uint64) + 1)
        checksum = int(np.sum(bits * weights, dtype=np.uint64))     # wraps mod 2^64
        rows_file = f"smollm2_{name.replace('.', '_')}.rows.f32"
        values[:2].tofile(os.path.join(args.out, rows_file))
        report["tensors"].append({
            "name": name, "type": tensor.tensor_type.name, "rows": int(values.shape[0]),
            "columns": int(values.shape[1]), "offset": int(tensor.data_offset), "bytes": int(tensor.n_bytes),
            "firstRowsFile": rows_file, "sum": float(np.sum(values, dtype=np.float64)), "bitChecksum": str(checksum),
        })
    json.dump(report, open(os.path.join(args.out, "smollm2.json"), "w"), indent=2)

main()
