#!/usr/bin/env python3
"""Writes a Hugging Face checkpoint folder of seeded random BF16 weights in a real model's shape, to
measure `dllama convert` on a model larger than the ones the assets hold (docs/performance.md).

    python3 scripts/synthetic-checkpoint.py OUT_DIR [--shape tinyllama]

tinyllama: TinyLlama-1.1B's LlamaForCausalLM shape (dim 2048, 22 layers, 32 heads, 4 KV heads,
FFN 5632, vocab 32000, untied), 2.2 GB in two shards with model.safetensors.index.json. No
tokenizer.json, so the conversion writes no .t. Needs numpy only.
"""
import argparse
import json
import os
import struct

import numpy as np

SHAPES = {
    'tinyllama': dict(dim=2048, hidden=5632, layers=22, heads=32, kv_heads=4, vocab=32000),
}


def tensors(s):
    hd = s['dim'] // s['heads']
    yield 'model.embed_tokens.weight', (s['vocab'], s['dim'])
    for l in range(s['layers']):
        p = f'model.layers.{l}.'
        yield p + 'input_layernorm.weight', (s['dim'],)
        yield p + 'self_attn.q_proj.weight', (s['heads'] * hd, s['dim'])
        yield p + 'self_attn.k_proj.weight', (s['kv_heads'] * hd, s['dim'])
        yield p + 'self_attn.v_proj.weight', (s['kv_heads'] * hd, s['dim'])
        yield p + 'self_attn.o_proj.weight', (s['dim'], s['heads'] * hd)
        yield p + 'post_attention_layernorm.weight', (s['dim'],)
        yield p + 'mlp.gate_proj.weight', (s['hidden'], s['dim'])
        yield p + 'mlp.up_proj.weight', (s['hidden'], s['dim'])
        yield p + 'mlp.down_proj.weight', (s['dim'], s['hidden'])
    yield 'model.norm.weight', (s['dim'],)
    yield 'lm_head.weight', (s['vocab'], s['dim'])


def write_shard(path, items, rng):
    header, offset = {'__metadata__': {'format': 'pt'}}, 0
    for name, shape in items:
        n = int(np.prod(shape)) * 2
        header[name] = {'dtype': 'BF16', 'shape': list(shape), 'data_offsets': [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text)
        for name, shape in items:
            x = rng.standard_normal(shape, dtype=np.float32) / np.float32(np.sqrt(shape[-1]))
            if len(shape) == 1:
                x = 1 + x / 10
            f.write((x.view(np.uint32) >> 16).astype(np.uint16).tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out_dir')
    ap.add_argument('--shape', default='tinyllama', choices=sorted(SHAPES))
    a = ap.parse_args()
    s = SHAPES[a.shape]
    os.makedirs(a.out_dir, exist_ok=True)
    items = list(tensors(s))
    half = len(items) // 2
    rng = np.random.default_rng(1)
    weight_map = {}
    for i, part in enumerate([items[:half], items[half:]]):
        name = f'model-{i + 1:05d}-of-00002.safetensors'
        write_shard(os.path.join(a.out_dir, name), part, rng)
        weight_map.update({t: name for t, _ in part})
    with open(os.path.join(a.out_dir, 'model.safetensors.index.json'), 'w') as f:
        json.dump({'metadata': {}, 'weight_map': weight_map}, f)
    config = {
        'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'hidden_size': s['dim'],
        'intermediate_size': s['hidden'], 'num_hidden_layers': s['layers'], 'num_attention_heads': s['heads'],
        'num_key_value_heads': s['kv_heads'], 'vocab_size': s['vocab'], 'max_position_embeddings': 2048,
        'rms_norm_eps': 1e-05, 'rope_theta': 10000.0, 'rope_scaling': None, 'hidden_act': 'silu',
        'tie_word_embeddings': False, 'attention_bias': False, 'mlp_bias': False, 'torch_dtype': 'bfloat16',
        'bos_token_id': 1, 'eos_token_id': 2,
    }
    with open(os.path.join(a.out_dir, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    print('wrote', a.out_dir)


if __name__ == '__main__':
    main()
