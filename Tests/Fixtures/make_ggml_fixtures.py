#!/usr/bin/env python3
"""Golden data for the Q5_0 / Q5_1 / K-quant kernels, made by code we did not write.

  python3 Tests/Fixtures/make_ggml_fixtures.py Tests/Fixtures/quant \
      --ggml-lib .venv-peers/lib/python3.*/site-packages/llama_cpp/lib \
      --qwen .assets/qwen2.5-coder-0.5b-instruct.gguf

1. ggml_q8_k_input.f32 (seeded float32 values, 9 super-blocks: cos-shaped data at varied scales, an
   all-zero block, a block whose largest magnitude is negative, one with exact halves after scaling)
   and ggml_q8_k.bin, their Q8_K encoding by llama.cpp's own quantize_row_q8_K_ref (libggml-base,
   as llama-cpp-python builds it: `make peers-venv`).
2. ggml_dot_<type>.bin: seeded random weight blocks (half-float scales in ±0.05) of Q5_0, Q5_1, Q4_K,
   Q5_K, Q6_K, 4 rows of 3 super-blocks' worth of values (768), and ggml_dot_<type>.f32, llama.cpp's
   CPU vec_dot of each row with the activation ggml pairs the type with (ggml_dot_input.f32 quantized
   by ggml's from_float of that activation type: Q8_0, Q8_1 or Q8_K).
3. qwen.json + qwen_<tensor>.rows.f32: for three tensors of Qwen2.5-Coder-0.5B-Instruct (Q5_0, Q4_K,
   Q6_K), where the gguf package finds them in the file, their first two rows dequantized by the gguf
   package, and over the whole tensor a float64 sum and the bit checksum of make_quant_fixtures.py.
"""
import argparse, ctypes, glob, json, os
import numpy as np

Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q5_K, Q6_K, Q8_K = 6, 7, 8, 9, 12, 13, 14, 15
SIZES = {Q5_0: (32, 22), Q5_1: (32, 24), Q8_0: (32, 34), Q8_1: (32, 36), Q4_K: (256, 144), Q5_K: (256, 176), Q6_K: (256, 210), Q8_K: (256, 292)}
HALVES = {Q5_0: [0], Q5_1: [0, 2], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208]}
NAMES = {Q5_0: "q5_0", Q5_1: "q5_1", Q4_K: "q4_k", Q5_K: "q5_k", Q6_K: "q6_k"}


class TraitsCPU(ctypes.Structure):  # ggml-cpu.h: struct ggml_type_traits_cpu
    _fields_ = [("from_float", ctypes.c_void_p), ("vec_dot", ctypes.c_void_p), ("vec_dot_type", ctypes.c_int),
                ("nrows", ctypes.c_int64)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--ggml-lib", required=True, help="folder holding libggml-base.so and libggml-cpu.so")
    ap.add_argument("--qwen", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    lib = glob.glob(args.ggml_lib)[0]
    base = ctypes.CDLL(os.path.join(lib, "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
    cpu = ctypes.CDLL(os.path.join(lib, "libggml-cpu.so"), mode=ctypes.RTLD_GLOBAL)
    cpu.ggml_cpu_init()
    cpu.ggml_get_type_traits_cpu.restype = ctypes.POINTER(TraitsCPU)
    fptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)
    rng = np.random.default_rng(20261201)

    # 1. Q8_K by ggml's reference quantizer
    blocks = []
    for b in range(6):
        i = np.arange(256)
        scale = [1.0, 0.01, 100.0, 3.7, 0.2, 12.0][b]
        blocks.append((0.1 + 2 * np.cos(i + b)) * scale + rng.normal(0, 0.3 * scale, 256))
    blocks.append(np.zeros(256))                                       # all zero: d = 0
    blocks.append(np.linspace(-5, 3, 256))                             # negative extreme dominates
    blocks.append((np.arange(256) - 127.5) / 127.5 * 127)              # halves after scaling
    x = np.concatenate(blocks).astype(np.float32)
    q = np.zeros(len(x) // 256 * 292, dtype=np.uint8)
    base.quantize_row_q8_K_ref.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    base.quantize_row_q8_K_ref(fptr(x), fptr(q), len(x))
    x.tofile(os.path.join(args.out, "ggml_q8_k_input.f32"))
    q.tofile(os.path.join(args.out, "ggml_q8_k.bin"))

    # 2. llama.cpp's CPU dot products
    n, rows = 768, 4
    act = (0.1 + 2 * np.cos(np.arange(n) + 1.3) + rng.normal(0, 0.5, n)).astype(np.float32)
    act.tofile(os.path.join(args.out, "ggml_dot_input.f32"))
    dot_t = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
                             ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    from_t = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
    for t in [Q5_0, Q5_1, Q4_K, Q5_K, Q6_K]:
        per, size = SIZES[t]
        raw = rng.integers(0, 256, size=(rows * n // per, size), dtype=np.uint8)
        for blk in raw:
            for off in HALVES[t]:
                blk[off:off + 2] = np.array([rng.uniform(-0.05, 0.05)], dtype=np.float16).view(np.uint8)
        traits = cpu.ggml_get_type_traits_cpu(t).contents
        vt = traits.vec_dot_type
        ap_, asize = SIZES[vt]
        y = np.zeros(n // ap_ * asize, dtype=np.uint8)
        from_t(cpu.ggml_get_type_traits_cpu(vt).contents.from_float)(fptr(act), fptr(y), n)
        out = np.zeros(rows, dtype=np.float32)
        row_bytes = n // per * size
        flat = raw.reshape(-1)
        for r in range(rows):
            s = np.zeros(1, dtype=np.float32)
            dot_t(traits.vec_dot)(n, fptr(s), 0, flat[r * row_bytes:].ctypes.data, 0, fptr(y), 0, 1)
            out[r] = s[0]
        raw.tofile(os.path.join(args.out, f"ggml_dot_{NAMES[t]}.bin"))
        out.tofile(os.path.join(args.out, f"ggml_dot_{NAMES[t]}.f32"))

    # 3. Qwen tensors, dequantized by the gguf package
    import gguf
    from gguf import GGUFReader
    reader = GGUFReader(args.qwen)
    report = {"file": os.path.basename(args.qwen), "tensors": []}
    wanted = {"Q5_0": "blk.0.attn_q.weight"}
    for t in reader.tensors:  # the first ffn_down of each K-quant type
        if t.name.endswith("ffn_down.weight") and t.tensor_type.name not in wanted:
            wanted[t.tensor_type.name] = t.name
    for name in wanted.values():
        tensor = next(t for t in reader.tensors if t.name == name)
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        values = values.reshape(-1, int(tensor.shape[0]))            # [rows][columns]
        bits = values.reshape(-1).view(np.uint32).astype(np.uint64)
        weights = (2 * np.arange(bits.size, dtype=np.uint64) + 1)
        checksum = int(np.sum(bits * weights, dtype=np.uint64))     # wraps mod 2^64
        rows_file = f"qwen_{name.replace('.', '_')}.rows.f32"
        values[:2].tofile(os.path.join(args.out, rows_file))
        report["tensors"].append({
            "name": name, "type": tensor.tensor_type.name, "rows": int(values.shape[0]),
            "columns": int(values.shape[1]), "offset": int(tensor.data_offset), "bytes": int(tensor.n_bytes),
            "firstRowsFile": rows_file, "sum": float(np.sum(values, dtype=np.float64)), "bitChecksum": str(checksum),
        })
    json.dump(report, open(os.path.join(args.out, "qwen.json"), "w"), indent=2)

main()
