#!/usr/bin/env python3
"""Golden logits for the Engine tests, from the team's independent numpy oracle ref_forward.py.

    python3 Tests/Fixtures/make_engine_goldens.py ../shared/oracle Tests/Fixtures/engine

For each oracle model in Tests/Fixtures/oracle and N = 1 and 2 nodes, runs the prompt through
ref_forward.Model (Q40 weights: activations quantized to Q80 before each matmul; with N nodes each
node's partial output quantized to Q80 and added in node order) and records the tokens fed, their
positions and the full logits of the last prompt position and the greedy steps after it.
"""
import json
import os
import sys

import numpy as np

oracle_dir, out_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, oracle_dir)
import ref_forward as rf  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
PROMPT = b'hello world'
STEPS = 6
tokenizer = rf.read_tokenizer(os.path.join(here, 'oracle', 'dllama_tokenizer_tiny.t'))
os.makedirs(out_dir, exist_ok=True)
for name in ['llama', 'qwen3', 'qwen3moe']:
    for weights in ['q40', 'f32']:
        model_file = f'dllama_model_{name}_{weights}.m'
        h, W = rf.read_model(os.path.join(here, 'oracle', model_file))
        tokens = rf.encode(tokenizer, PROMPT)
        for nodes in [1, 2]:
            m = rf.Model(h, W, nodes)
            for pos in range(len(tokens) - 1):
                m.forward(tokens[pos], pos)
            token, pos = tokens[-1], len(tokens) - 1
            steps = []
            for _ in range(STEPS):
                logits = m.forward(token, pos)
                steps.append({'token': int(token), 'position': pos,
                              'logits': [float('%.6g' % v) for v in logits]})
                token = int(np.argmax(logits))
                pos += 1
            golden = {'model': model_file, 'nodes': nodes, 'prompt': PROMPT.decode(),
                      'prompt_tokens': [int(t) for t in tokens], 'steps': steps}
            path = os.path.join(out_dir, f'{name}_{weights}_nodes{nodes}.json')
            with open(path, 'w') as f:
                json.dump(golden, f, separators=(',', ':'))
                f.write('\n')
            margins = []
            for s in steps:
                top = sorted(s['logits'], reverse=True)[:2]
                margins.append(round(top[0] - top[1], 3))
            print(path, 'tokens', tokens, 'top-1 margins', margins)
