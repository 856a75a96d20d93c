#!/usr/bin/env python3
"""Expected chat prompts for TokenizerTests, rendered from real Jinja chat templates with jinja2
the way Hugging Face transformers renders them (ImmutableSandboxedEnvironment, trim_blocks,
lstrip_blocks, raise_exception).

Usage (from the repository root):  python3 Tests/Fixtures/tokenizer/make_chat_goldens.py
Needs `pip install jinja2`. Reads templates/*.jinja, writes chat_goldens.json.

The templates, verbatim:
- llama2.jinja: meta-llama/Llama-2-13b-chat-hf tokenizer_config.json
- llama3.jinja: Meta-Llama-3-8B-Instruct (as the team oracle make_tiny_model.py writes it into .t files)
- llama3.2.jinja: meta-llama/Llama-3.2-*-Instruct (rendered without strftime_now, so the date is
  the template's own default, 26 Jul 2024)
- chatml-smollm2.jinja: tokenizer.chat_template of SmolLM2-135M-Instruct.Q4_1.gguf
- chatml-qwen2-vocab.jinja: tokenizer.chat_template of llama.cpp's ggml-vocab-qwen2.gguf
- qwen.jinja: Qwen/QwQ-32B tokenizer_config.json (the Qwen2.5 template with tools)
- deepseek3.jinja: deepseek-ai/DeepSeek-V3 tokenizer_config.json
- qwen3.jinja: the Qwen3 template as published for LM Studio with its thinking toggle set off
  (`enable_thinking = false` on its first line); its handling of earlier assistant turns (the
  `<think>` block dropped) is Qwen3's own
"""
import json
import os
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.exceptions import TemplateError

here = os.path.dirname(os.path.abspath(__file__))
tokens = {
    'llama2': ('<s>', '</s>'),
    'llama3': ('<|begin_of_text|>', '<|eot_id|>'),
    'llama3.2': ('<|begin_of_text|>', '<|eot_id|>'),
    'chatml-smollm2': ('<|im_start|>', '<|im_end|>'),
    'chatml-qwen2-vocab': ('<|endoftext|>', '<|endoftext|>'),
    'qwen': ('', '<|im_end|>'),
    'deepseek3': ('<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>'),
    'qwen3': ('', '<|im_end|>'),
}
conversations = {
    'full': [
        {'role': 'system', 'content': 'You are a terse geography tutor.'},
        {'role': 'user', 'content': '  What is the capital of France?\n'},
        {'role': 'assistant', 'content': 'Paris. '},
        {'role': 'user', 'content': 'And of Italy?'},
    ],
    'reasoning': [
        {'role': 'system', 'content': 'Answer briefly.'},
        {'role': 'user', 'content': 'Capital of France?'},
        {'role': 'assistant', 'content': '<think>\nThe user wants the capital.\n</think>\n\nParis.'},
        {'role': 'user', 'content': 'And of Italy?'},
    ],
    'no-system': [
        {'role': 'user', 'content': 'Hello!'},
    ],
}


def raise_exception(message):
    raise TemplateError(message)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.globals['raise_exception'] = raise_exception
goldens = []
for name, (bos, eos) in tokens.items():
    source = open(os.path.join(here, 'templates', name + '.jinja')).read()
    template = env.from_string(source)
    for conversation, messages in conversations.items():
        for generation in (True, False):
            goldens.append({
                'template': name, 'conversation': conversation, 'add_generation_prompt': generation,
                'bos_token': bos, 'eos_token': eos,
                'expected': template.render(messages=messages, add_generation_prompt=generation,
                                            bos_token=bos, eos_token=eos),
            })
json.dump({'conversations': conversations, 'goldens': goldens},
          open(os.path.join(here, 'chat_goldens.json'), 'w'), ensure_ascii=False, indent=1)
print('wrote %d goldens' % len(goldens))
