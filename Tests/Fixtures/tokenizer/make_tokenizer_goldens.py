#!/usr/bin/env python3
"""Golden encodings for TokenizerTests, computed by implementations we did not write.

Usage (from the repository root, after `make assets`):
    python3 Tests/Fixtures/tokenizer/make_tokenizer_goldens.py .assets /work/shared/oracle

Needs `pip install tokenizers gguf sentencepiece protobuf`. Writes Tests/Fixtures/tokenizer/goldens.txt, one line per
golden: `NAME<TAB>ids space-separated`, where NAME says which tokenizer and text.

- llama-bpe: the Hugging Face tokenizer.json of Llama 3.2 (`.assets/llama3.2/tokenizer.json`),
  encoded without special tokens.
- gpt-2, qwen2, smollm: Hugging Face `tokenizers` BPE built from each GGUF's own vocabulary and
  merges, with the pre-tokenizer that family's tokenizer.json declares (GPT-2 ByteLevel; SmolLM
  Digits(individual) + ByteLevel; Qwen2 Split(regex) + ByteLevel without regex).
- fuzz.txt (written here, strings separated by NUL): 120 random strings over the character
  classes the regexes distinguish, encoded by each of the four byte-level tokenizers.
- llama-spm: Google's `sentencepiece` itself, with a BPE ModelProto built from the GGUF's pieces,
  scores and token types (byte fallback, a dummy prefix, whitespace escaped, no normalization:
  Llama 2's settings); this model reproduces all 46 cases of llama.cpp's llama-spm test file.
- tiny-t: distributed-llama's encoder as ported in the team oracle `ref_forward.py`
  (`encode(t, text, is_start, add_special)`) on Tests/Fixtures/oracle/dllama_tokenizer_tiny.t.
"""
import os
import sys

from gguf import GGUFReader
from tokenizers import Tokenizer, Regex, models, pre_tokenizers, decoders

assets, oracle = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
sample = open(os.path.join(here, 'sample.txt'), 'rb').read().decode('utf-8')
paragraphs = sample.split('\n')
out = []


def emit(name, ids):
    out.append('%s\t%s' % (name, ' '.join(map(str, ids))))


def gguf_strings(reader, key):
    f = reader.fields[key]
    return [bytes(f.parts[i]).decode('utf-8') for i in f.data]


def from_gguf(path, pre):
    r = GGUFReader(path)
    tokens = gguf_strings(r, 'tokenizer.ggml.tokens')
    merges = [tuple(m.split(' ', 1)) for m in gguf_strings(r, 'tokenizer.ggml.merges')]
    vocab = {}
    for i, t in enumerate(tokens):
        vocab.setdefault(t, i)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    return tok


QWEN2_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
tokenizers = {
    'llama-bpe': Tokenizer.from_file(os.path.join(assets, 'llama3.2/tokenizer.json')),
    'gpt-2': from_gguf(os.path.join(assets, 'vocab/ggml-vocab-gpt-2.gguf'),
                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)),
    'qwen2': from_gguf(os.path.join(assets, 'vocab/ggml-vocab-qwen2.gguf'),
                       pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior='isolated'),
                                                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])),
    'smollm': from_gguf(os.path.join(assets, 'SmolLM2-135M-Instruct.Q4_1.gguf'),
                        pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])),
}


class SentencePieceFromGGUF:
    """sentencepiece's own encoder over a GGUF vocabulary, with the `encode(...).ids` shape of HF."""
    def __init__(self, path):
        import sentencepiece as spm
        from sentencepiece import sentencepiece_model_pb2 as pb
        r = GGUFReader(path)

        def arr(key):
            f = r.fields[key]
            return [f.parts[i] for i in f.data]
        kinds = {1: pb.ModelProto.SentencePiece.NORMAL, 2: pb.ModelProto.SentencePiece.UNKNOWN,
                 3: pb.ModelProto.SentencePiece.CONTROL, 4: pb.ModelProto.SentencePiece.USER_DEFINED,
                 5: pb.ModelProto.SentencePiece.UNUSED, 6: pb.ModelProto.SentencePiece.BYTE}
        m = pb.ModelProto()
        m.trainer_spec.model_type = pb.TrainerSpec.BPE
        m.trainer_spec.byte_fallback = True
        m.trainer_spec.unk_id, m.trainer_spec.bos_id, m.trainer_spec.eos_id, m.trainer_spec.pad_id = 0, 1, 2, -1
        m.normalizer_spec.name = 'identity'
        m.normalizer_spec.add_dummy_prefix = True
        m.normalizer_spec.escape_whitespaces = True
        m.normalizer_spec.remove_extra_whitespaces = False
        for text, score, kind in zip(arr('tokenizer.ggml.tokens'), arr('tokenizer.ggml.scores'), arr('tokenizer.ggml.token_type')):
            piece = m.pieces.add()
            piece.piece, piece.score, piece.type = bytes(text).decode('utf-8'), float(score[0]), kinds[int(kind[0])]
        self.processor = spm.SentencePieceProcessor(model_proto=m.SerializeToString())

    def encode(self, text, add_special_tokens=False):
        class Encoding:
            pass
        e = Encoding()
        e.ids = self.processor.encode(text)
        return e


tokenizers['llama-spm'] = SentencePieceFromGGUF(os.path.join(assets, 'vocab/ggml-vocab-llama-spm.gguf'))
for name, tok in tokenizers.items():
    emit('%s/sample' % name, tok.encode(sample, add_special_tokens=False).ids)
    for i, p in enumerate(paragraphs):
        emit('%s/line%d' % (name, i), tok.encode(p, add_special_tokens=False).ids)

# Random strings over the character classes the pre-tokenizer regexes distinguish, to probe the
# splitting rules where prose does not go: letters of several scripts, combining marks (neither
# letter nor digit), digits of several kinds (ASCII, Arabic-Indic, superscript, Roman numeral),
# every kind of whitespace (NBSP, U+2028, ideographic space, \r, \n, \t), apostrophe
# contractions in both cases, punctuation and symbols, emoji.
import random
rng = random.Random(20261127)
pieces = (list('abcXYZéßøЖжλΩשأ中文かナ한') + ['\u0301', '\u0308', '\u093f'] + list('0123456789') +
          ['\u0663', '\u00b2', '\u00bd', '\u216b', '\u2460'] +
          [' ', ' ', ' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u2028', '\u3000', '\u2009', '\x0b', '\x0c'] +
          ["'s", "'S", "'t", "'re", "'RE", "'ve", "'m", "'ll", "'LL", "'d", "'D", "'x", "'"] +
          list('.,;:!?-_()[]{}<>/\\@#$%^&*+=|~`"') + ['\u2014', '\u00ab', '\u00bb', '\u20ac', '\u00a7'] +
          ['\U0001f999', '\U0001f600', '\u2764\ufe0f', '\U0001f1eb\U0001f1f7', '\u200d'])
fuzz = [''.join(rng.choice(pieces) for _ in range(rng.randint(1, 24))) for _ in range(120)]
open(os.path.join(here, 'fuzz.txt'), 'w', encoding='utf-8', newline='').write('\u0000'.join(fuzz))
for name, tok in tokenizers.items():
    for i, text in enumerate(fuzz):
        emit('%s/fuzz%d' % (name, i), tok.encode(text, add_special_tokens=False).ids)

sys.path.insert(0, oracle)
import ref_forward  # noqa: E402
t = ref_forward.read_tokenizer(os.path.join(here, '..', 'oracle', 'dllama_tokenizer_tiny.t'))
tiny_texts = {
    'hello': b'hello world. hello there, how are you?',
    'chat': b'<|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|>',
    'corpus': b'the root node loads the model and sends slices of the weights to the workers.',
}
for name, text in tiny_texts.items():
    emit('tiny-t/%s/bos+special' % name, ref_forward.encode(t, text, True, True))
    emit('tiny-t/%s/plain' % name, ref_forward.encode(t, text, False, False))

open(os.path.join(here, 'goldens.txt'), 'w').write('\n'.join(out) + '\n')
print('wrote %d goldens' % len(out))
