// dllama chat page: a conversation streamed from POST /v1/chat/completions (server-sent events),
// a stop button that aborts the request (the server then stops generating within a token), the
// sampling settings, and the cluster panel polled from GET /v1/cluster.
"use strict";

const $ = (id) => document.getElementById(id);
const settings = ["system", "temperature", "top_p", "top_k", "max_tokens", "seed", "stop_string", "api_key"];
let model = null;
let history = [];          // {role, content} sent with every request: the server reuses its KV cache
let controller = null;     // the request in flight, for the stop button

// --- settings, kept in localStorage -------------------------------------------------------------

function loadSettings() {
  for (const id of settings) {
    const saved = localStorage.getItem("dllama." + id);
    if (saved !== null) $(id).value = saved;
    $(id).addEventListener("change", () => localStorage.setItem("dllama." + id, $(id).value));
  }
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api_key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

function number(id) {
  const text = $(id).value.trim();
  return text === "" ? undefined : Number(text);
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

// --- the API ---------------------------------------------------------------------------------------

/// The server's message for a refused request (OpenAI's error body), or the HTTP status.
async function errorText(response) {
  try {
    const body = await response.json();
    return body.error?.message ?? response.statusText;
  } catch {
    return response.status + " " + response.statusText;
  }
}

async function loadModel() {
  const response = await fetch("/v1/models", { headers: headers() });
  if (response.status === 401) {
    $("keybox").open = true;
    setStatus("this server needs an API key: enter it under API key", true);
    return;
  }
  if (!response.ok) { setStatus(await errorText(response), true); return; }
  model = (await response.json()).data[0].id;
  $("model").textContent = model;
  setStatus("ready");
}

/// Reads a server-sent event stream, calling `onData` with each `data:` payload parsed as JSON,
/// until `data: [DONE]`.
async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") return;
        onData(JSON.parse(data));
      }
    }
  }
}

// --- the conversation ------------------------------------------------------------------------------

function addMessage(role, text) {
  const element = document.createElement("div");
  element.className = "message " + role;
  element.textContent = text;
  $("messages").appendChild(element);
  element.scrollIntoView({ block: "end" });
  return element;
}

function addStats(element, text) {
  const stats = document.createElement("span");
  stats.className = "stats";
  stats.textContent = text;
  element.appendChild(stats);
}

function busy(generating) {
  $("send").disabled = generating;
  $("stop").disabled = !generating;
}

async function send(text) {
  if (!model) await loadModel();
  if (!model) return;
  history.push({ role: "user", content: text });
  addMessage("user", text);
  const answer = addMessage("assistant streaming", "");
  const system = $("system").value.trim();
  const stop = $("stop_string").value;
  const request = {
    model,
    messages: (system ? [{ role: "system", content: system }] : []).concat(history),
    stream: true,
    stream_options: { include_usage: true },
    temperature: number("temperature"),
    top_p: number("top_p"),
    top_k: number("top_k"),
    max_tokens: number("max_tokens"),
    seed: number("seed"),
    stop: stop ? [stop] : undefined,
  };
  controller = new AbortController();
  busy(true);
  setStatus("generating…");
  const started = performance.now();
  let firstToken = null, content = "", finish = null, usage = null;
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(), body: JSON.stringify(request), signal: controller.signal,
    });
    if (!response.ok) throw new Error(await errorText(response));
    await readEvents(response, (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) return;
      if (choice.delta?.content) {
        firstToken ??= performance.now();
        content += choice.delta.content;
        answer.textContent = content;
        answer.scrollIntoView({ block: "end" });
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    });
    answer.classList.remove("streaming");
    answer.classList.add("done");
    const seconds = (performance.now() - (firstToken ?? started)) / 1000;
    const parts = [];
    if (usage) parts.push(`${usage.completion_tokens} tokens`, `prompt ${usage.prompt_tokens} (${usage.prompt_tokens_details?.cached_tokens ?? 0} cached)`);
    if (usage && seconds > 0 && usage.completion_tokens > 1) parts.push(`${((usage.completion_tokens - 1) / seconds).toFixed(1)} tokens/s`);
    if (firstToken) parts.push(`first token ${Math.round(firstToken - started)} ms`);
    if (finish) parts.push(finish === "length" ? "stopped at max tokens" : "finished");
    addStats(answer, parts.join(" · "));
    setStatus("ready");
  } catch (error) {
    answer.classList.remove("streaming");
    if (error.name === "AbortError") {
      answer.classList.add("done");
      addStats(answer, "stopped");
      setStatus("stopped");
    } else {
      answer.classList.add("error");
      answer.textContent = content + (content ? "\n" : "") + error.message;
      setStatus("error", true);
    }
  } finally {
    // What was shown stays in the conversation, stopped or not.
    history.push({ role: "assistant", content });
    controller = null;
    busy(false);
    refreshCluster();
  }
}

// --- the cluster panel -----------------------------------------------------------------------------

function mebibytes(bytes) { return (bytes / 1048576).toFixed(0) + " MiB"; }
function fixed(value, digits) { return value === undefined || value === null ? "–" : value.toFixed(digits); }

async function refreshCluster() {
  let panel;
  try {
    const response = await fetch("/v1/cluster", { headers: headers() });
    if (!response.ok) return;
    panel = await response.json();
  } catch { return; }
  const rows = panel.nodes.map((node) => {
    const row = document.createElement("tr");
    const place = document.createElement("td");
    const name = document.createElement("strong");
    name.textContent = `${node.node} ${node.role}`;
    const share = document.createElement("span");
    share.className = "share";
    share.textContent = node.share;
    place.append(name, " " + node.address, share);
    row.appendChild(place);
    for (const text of [mebibytes(node.residentBytes), fixed(node.tokensPerSecond, 1), fixed(node.syncMillisecondsPerToken, 2)]) {
      const cell = document.createElement("td");
      cell.className = "number";
      cell.textContent = text;
      row.appendChild(cell);
    }
    row.title = `compute ${fixed(node.computeMillisecondsPerToken, 2)} ms/token, peak RSS ${mebibytes(node.peakResidentBytes)}, `
      + `sent ${mebibytes(node.sentBytes)}, received ${mebibytes(node.receivedBytes)}`;
    return row;
  });
  $("nodes").replaceChildren(...rows);
  $("cluster-summary").textContent = `context ${panel.context} tokens, ${panel.cachedTokens} in the KV cache; `
    + `${panel.running} generating, ${panel.waiting} waiting (at most ${panel.queueLimit})`;
}

// --- wiring ----------------------------------------------------------------------------------------

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("prompt").value.trim();
  if (!text || controller) return;
  $("prompt").value = "";
  send(text);
});
$("prompt").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
$("stop").addEventListener("click", () => controller?.abort());
$("clear").addEventListener("click", () => {
  controller?.abort();
  history = [];
  $("messages").replaceChildren();
});
$("api_key").addEventListener("change", () => { loadModel(); refreshCluster(); });

loadSettings();
loadModel();
refreshCluster();
setInterval(refreshCluster, 3000);
