"""Drives `dllama serve` (SmolLM2-135M-Instruct) with the official `openai` Python client, as a
user's script would: chat and completions, streamed and not, with usage, finish_reason, a stop
string split across tokens, and the KV cache reused by a continued conversation.

    python openai_client_check.py http://127.0.0.1:PORT MODEL_ID

Prints one line per check and exits non-zero at the first failure, naming it. Greedy decoding
(temperature 0) makes the answers repeatable; SmolLM2 answers "The capital of France is Paris."
"""
import sys

from openai import OpenAI

base_url, model = sys.argv[1], sys.argv[2]
# No retries: a failure must show, not be papered over by a second attempt.
client = OpenAI(base_url=base_url + "/v1", api_key="not-needed", max_retries=0, timeout=300)


def check(condition, what, detail):
    if not condition:
        sys.exit(f"FAILED: {what}: {detail!r}")
    print(f"ok: {what}")


models = client.models.list()
check([m.id for m in models.data] == [model], "GET /v1/models lists the model", [m.id for m in models.data])

conversation = [
    {"role": "system", "content": "Answer in one short sentence."},
    {"role": "user", "content": "What is the capital of France?"},
]

# Chat, not streamed.
chat = client.chat.completions.create(model=model, messages=conversation, temperature=0, max_tokens=24)
answer = chat.choices[0].message.content
check("Paris" in answer, "chat answer names Paris", answer)
check(chat.choices[0].message.role == "assistant", "chat message role", chat.choices[0].message.role)
check(chat.choices[0].finish_reason == "stop", "chat finish_reason is stop (the model ended its answer)", chat.choices[0].finish_reason)
usage = chat.usage
check(usage.prompt_tokens > 10 and 0 < usage.completion_tokens < 24, "chat usage counts prompt and answer", usage)
check(usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, "chat usage total", usage)

# Chat, streamed: the same greedy answer arrives in pieces, then the usage, then [DONE].
stream = client.chat.completions.create(model=model, messages=conversation, temperature=0, max_tokens=24, stream=True,
                                        stream_options={"include_usage": True})
pieces, finish, stream_usage, roles = [], None, None, set()
for chunk in stream:
    if chunk.usage:
        stream_usage = chunk.usage
    for choice in chunk.choices:
        if choice.delta.role:
            roles.add(choice.delta.role)
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
check("".join(pieces) == answer, "streamed chat answer equals the non-streamed one", (pieces, answer))
check(len(pieces) > 1, "the chat answer is streamed in several pieces", pieces)
check(roles == {"assistant"}, "the stream names the assistant role", roles)
check(finish == "stop", "streamed finish_reason is stop", finish)
check(stream_usage is not None and stream_usage.completion_tokens == usage.completion_tokens,
      "streamed usage (stream_options.include_usage) matches", stream_usage)
# The same prompt again: everything but its last token comes from the KV cache.
cached = stream_usage.prompt_tokens_details.cached_tokens
check(cached == stream_usage.prompt_tokens - 1, "a repeated prompt reuses the KV cache", stream_usage)

# A stop string given as one string, met inside the chat answer.
stopped = client.chat.completions.create(model=model, messages=conversation, temperature=0, max_tokens=24, stop="Paris")
check(stopped.choices[0].message.content == answer.split("Paris")[0], "a chat stop string ends the answer before it",
      stopped.choices[0].message.content)
check(stopped.choices[0].finish_reason == "stop", "chat finish_reason at a stop string", stopped.choices[0].finish_reason)

# A continued conversation reuses the cache for the turns it shares with the previous request.
follow_up = conversation + [{"role": "assistant", "content": answer}, {"role": "user", "content": "And of Italy?"}]
second = client.chat.completions.create(model=model, messages=follow_up, temperature=0, max_tokens=16)
second_cached = second.usage.prompt_tokens_details.cached_tokens
check(second_cached >= usage.prompt_tokens - 1, "the next turn reuses the KV cache of the conversation", second.usage)
check(len(second.choices[0].message.content) > 0, "the next turn is answered", second.choices[0].message.content)

# Completions, not streamed: max_tokens reached.
completion = client.completions.create(model=model, prompt="The capital of France is", temperature=0, max_tokens=4)
check(completion.choices[0].text.startswith(" Paris."), "completion continues with Paris", completion.choices[0].text)
check(completion.choices[0].finish_reason == "length", "completion finish_reason is length at max_tokens", completion.choices[0].finish_reason)
check(completion.usage.prompt_tokens == 5 and completion.usage.completion_tokens == 4, "completion usage", completion.usage)

# Completions, streamed, with a stop string that spans three tokens (" Paris" "." "\n\n"): the
# text before it arrives, none of it does, and generation stops there.
stream = client.completions.create(model=model, prompt="The capital of France is", temperature=0, max_tokens=12,
                                   stop=["s.\n"], stream=True)
pieces, finish = [], None
for chunk in stream:
    for choice in chunk.choices:
        pieces.append(choice.text)
        finish = choice.finish_reason or finish
check("".join(pieces) == " Pari", "the stop string is cut out, across token boundaries", pieces)
check(finish == "stop", "finish_reason is stop at a stop string", finish)

# Sampling with a seed is repeatable; penalties are accepted.
sampled = [client.completions.create(model=model, prompt="Once upon a time", temperature=0.9, top_p=0.95, seed=7, max_tokens=8,
                                     presence_penalty=0.5, frequency_penalty=0.5).choices[0].text for _ in range(2)]
check(sampled[0] == sampled[1] and sampled[0] != "", "a seed makes sampling repeatable", sampled)

print("all checks passed")
