#!/usr/bin/env python3
"""Writes the GGUF test fixtures with the `gguf` package (llama.cpp's own Python writer and reader),
so the Swift reader is checked against an implementation we did not write.

    pip install gguf==0.19.0 numpy
    python3 Tests/Fixtures/make_gguf_fixtures.py Tests/Fixtures/gguf \
        [--smollm2 .assets/SmolLM2-135M-Instruct.Q4_1.gguf]

Writes tiny-{llama,qwen2,qwen3,qwen3moe}.gguf (seeded random weights, several tensor types) and,
for every GGUF it wrote or was given, NAME.tensors.json: gguf.GGUFReader's view of the file
(architecture metadata, tensor names, GGML types, shapes outermost-first, absolute data offsets,
byte counts), the golden directory the Swift tests compare against.
"""
import argparse
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q

DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, CTX = 64, 96, 2, 4, 2, 128, 256
EXPERTS, ACTIVE, EXPERT_HIDDEN = 4, 2, 32
HEAD_DIM = DIM // HEADS


def tensor(w, rng, name, shape, qtype=Q.F32):
    x = (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)
    if qtype == Q.F32:
        w.add_tensor(name, x)
    elif qtype == Q.F16:
        w.add_tensor(name, x.astype(np.float16))
    else:
        w.add_tensor(name, gguf.quants.quantize(x, qtype), raw_dtype=qtype)


def write(path, arch, seed, tied, types):
    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(path, arch)
    w.add_context_length(CTX)
    w.add_embedding_length(DIM)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(HIDDEN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_layer_norm_rms_eps(1e-6 if arch != 'llama' else 1e-5)
    w.add_rope_freq_base(1000000.0 if arch != 'llama' else 500000.0)
    w.add_vocab_size(VOCAB)
    if arch == 'llama':
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(8.0)
        w.add_rope_scaling_orig_ctx_len(8192)
    if arch in ('qwen3', 'qwen3moe'):
        w.add_key_length(HEAD_DIM)
        w.add_value_length(HEAD_DIM)
    if arch == 'qwen3moe':
        w.add_expert_count(EXPERTS)
        w.add_expert_used_count(ACTIVE)
        w.add_expert_feed_forward_length(EXPERT_HIDDEN)
    mat, emb = types
    tensor(w, rng, 'token_embd.weight', (VOCAB, DIM), emb)
    for l in range(LAYERS):
        p = f'blk.{l}.'
        tensor(w, rng, p + 'attn_norm.weight', (DIM,))
        tensor(w, rng, p + 'attn_q.weight', (HEADS * HEAD_DIM, DIM), mat)
        tensor(w, rng, p + 'attn_k.weight', (KV_HEADS * HEAD_DIM, DIM), mat)
        tensor(w, rng, p + 'attn_v.weight', (KV_HEADS * HEAD_DIM, DIM), mat)
        tensor(w, rng, p + 'attn_output.weight', (DIM, HEADS * HEAD_DIM), mat)
        if arch == 'qwen2':
            tensor(w, rng, p + 'attn_q.bias', (HEADS * HEAD_DIM,))
            tensor(w, rng, p + 'attn_k.bias', (KV_HEADS * HEAD_DIM,))
            tensor(w, rng, p + 'attn_v.bias', (KV_HEADS * HEAD_DIM,))
        if arch in ('qwen3', 'qwen3moe'):
            tensor(w, rng, p + 'attn_q_norm.weight', (HEAD_DIM,))
            tensor(w, rng, p + 'attn_k_norm.weight', (HEAD_DIM,))
        tensor(w, rng, p + 'ffn_norm.weight', (DIM,))
        if arch == 'qwen3moe':
            tensor(w, rng, p + 'ffn_gate_inp.weight', (EXPERTS, DIM))
            tensor(w, rng, p + 'ffn_gate_exps.weight', (EXPERTS, EXPERT_HIDDEN, DIM), mat)
            tensor(w, rng, p + 'ffn_up_exps.weight', (EXPERTS, EXPERT_HIDDEN, DIM), mat)
            tensor(w, rng, p + 'ffn_down_exps.weight', (EXPERTS, DIM, EXPERT_HIDDEN), mat)
        else:
            tensor(w, rng, p + 'ffn_gate.weight', (HIDDEN, DIM), mat)
            tensor(w, rng, p + 'ffn_up.weight', (HIDDEN, DIM), mat)
            tensor(w, rng, p + 'ffn_down.weight', (DIM, HIDDEN), mat)
    tensor(w, rng, 'output_norm.weight', (DIM,))
    if not tied:
        tensor(w, rng, 'output.weight', (VOCAB, DIM), mat)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def directory(path):
    r = gguf.GGUFReader(path)
    arch = bytes(r.fields['general.architecture'].parts[-1]).decode()
    meta = {}
    for key, field in r.fields.items():
        if key.startswith(arch + '.') and len(field.types) == 1 and field.types[0] != gguf.GGUFValueType.STRING:
            meta[key] = field.parts[-1].tolist()[0]
    return {
        'architecture': arch,
        'metadata': meta,
        'tensors': [{'name': t.name, 'type': int(t.tensor_type), 'shape': [int(d) for d in reversed(t.shape)],
                     'offset': int(t.data_offset), 'bytes': int(t.n_bytes)} for t in r.tensors],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out_dir')
    ap.add_argument('--smollm2')
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    made = []
    for arch, seed, tied, types in [('llama', 1, False, (Q.Q4_0, Q.Q8_0)), ('qwen2', 2, True, (Q.Q8_0, Q.F16)),
                                    ('qwen3', 3, False, (Q.Q4_1, Q.F32)), ('qwen3moe', 4, False, (Q.Q5_0, Q.F32))]:
        path = os.path.join(a.out_dir, f'tiny-{arch}.gguf')
        write(path, arch, seed, tied, types)
        made.append((path, f'tiny-{arch}'))
    if a.smollm2:
        made.append((a.smollm2, 'SmolLM2-135M-Instruct.Q4_1'))
    for path, name in made:
        with open(os.path.join(a.out_dir, name + '.tensors.json'), 'w') as f:
            json.dump(directory(path), f, indent=0)
            f.write('\n')
        print('wrote', name)


if __name__ == '__main__':
    main()
