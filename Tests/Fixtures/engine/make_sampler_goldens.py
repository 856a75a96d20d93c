#!/usr/bin/env python3
"""Expected draws for the sampler tests: a numpy float32 transcription of the sampler of
llama2.c / distributed-llama (`Sampler::sample`: logits / temperature, softmax, one
`random_f32` coin, then `sample_topp` for 0 < topp < 1 or `sample_mult` otherwise), with the
xorshift64* generator as formats.md and the team brief state it.

Usage: python3 Tests/Fixtures/tokenizer/make_sampler_goldens.py   (needs numpy)
Writes sampler_goldens.txt: `rng SEED u32...` lines and
`sample SEED TEMPERATURE TOPP STEPS logits-file-index ids...` lines; the logits are regenerated
in the test from the same formula (see logits() below).
"""
import os
import numpy as np

MASK = (1 << 64) - 1


def random_u32(state):
    state ^= state >> 12
    state ^= (state << 25) & MASK
    state ^= state >> 27
    return state, ((state * 0x2545F4914F6CDD1D) & MASK) >> 32


def random_f32(state):
    state, u = random_u32(state)
    return state, np.float32(u >> 8) / np.float32(16777216.0)


def logits(step, vocab):
    # Deterministic, peaked logits the Swift test recomputes: 4 * sin(0.37 * i + step) + (i % 7) * 0.1
    i = np.arange(vocab, dtype=np.float64)
    return (4.0 * np.sin(0.37 * i + step) + (i % 7) * 0.1).astype(np.float32)


def softmax(x):
    m = np.max(x)
    e = np.exp(x - m, dtype=np.float32)
    s = np.float32(0)
    for v in e:          # summed in id order, in float32
        s = np.float32(s + v)
    return (e / s).astype(np.float32)


def sample(state, x, temperature, topp):
    x = (x / np.float32(temperature)).astype(np.float32)
    p = softmax(x)
    state, coin = random_f32(state)
    n = len(p)
    if topp <= 0 or topp >= 1:
        cdf = np.float32(0)
        for i in range(n):
            cdf = np.float32(cdf + p[i])
            if coin < cdf:
                return state, i
        return state, n - 1
    cutoff = np.float32((np.float32(1) - np.float32(topp)) / np.float32(n - 1))
    cand = [(p[i], i) for i in range(n) if p[i] >= cutoff]
    cand.sort(key=lambda t: (-t[0], t[1]))
    cum = np.float32(0)
    last = len(cand) - 1
    for k, (pr, _) in enumerate(cand):
        cum = np.float32(cum + pr)
        if cum > np.float32(topp):
            last = k
            break
    r = np.float32(coin * cum)
    cdf = np.float32(0)
    for k in range(last + 1):
        cdf = np.float32(cdf + cand[k][0])
        if r < cdf:
            return state, cand[k][1]
    return state, cand[last][1]


out = []
for seed in (1, 42, 123456789):
    s, us = seed, []
    for _ in range(6):
        s, u = random_u32(s)
        us.append(u)
    out.append('rng %d %s' % (seed, ' '.join(map(str, us))))
VOCAB, STEPS = 1000, 12
for seed in (7, 42):
    for temperature, topp in ((0.8, 0.9), (1.0, 1.0), (0.5, 0.5), (1.3, 0.95)):
        state, ids = seed, []
        for step in range(STEPS):
            state, t = sample(state, logits(step, VOCAB), temperature, topp)
            ids.append(t)
        out.append('sample %d %s %s %d %s' % (seed, temperature, topp, VOCAB, ' '.join(map(str, ids))))
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sampler_goldens.txt'), 'w').write('\n'.join(out) + '\n')
print('\n'.join(out))
