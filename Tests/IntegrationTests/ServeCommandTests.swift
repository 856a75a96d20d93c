import Foundation
import Testing
import TestSupport

/// `dllama serve` as users meet it: the official `openai` Python client, the chat page in
/// headless Chromium, and the raw HTTP of every refusal. Serialized: servers generating at once
/// would only fight over the two cores.
@Suite("dllama serve", .serialized)
struct ServeCommandTests {
    static let model = ServerProcess.model

    @Test("the openai Python client: chat and completions, streamed and not, answers, usage, finish_reason, stop strings, KV reuse")
    func openAIClient() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try PythonTools.run("openai_client_check.py", [server.baseURL, Self.model])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)\n--- server log ---\n\(server.log)")
        #expect(result.stdout.contains("all checks passed"))
        // One log line per request, with what it did.
        #expect(server.log.contains("POST /v1/chat/completions 200"), "\(server.log)")
        #expect(server.log.contains("finish stop") && server.log.contains("finish length"), "\(server.log)")
    }

    /// Set DLLAMA_SCREENSHOT=path to keep a picture of the page (docs/operations.md has one).
    @Test("the chat page in headless Chromium: a message sent, the answer streamed in, the cluster panel filled")
    func chatPage() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let screenshot = ProcessInfo.processInfo.environment["DLLAMA_SCREENSHOT"].map { [$0] } ?? []
        let result = try PythonTools.run("chat_page_check.py", [server.baseURL, Self.model] + screenshot)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)\n--- server log ---\n\(server.log)")
        #expect(result.stdout.contains("all checks passed"))
        #expect(server.log.contains("GET / 200") && server.log.contains("GET /chat.js 200"), "\(server.log)")
    }

    /// A request body with `messages` (or `prompt`) filled in around `extra` JSON fields.
    static func chat(_ extra: String = "", model: String = model) -> String {
        #"{"model": "\#(model)", "messages": [{"role": "user", "content": "Hi"}]\#(extra)}"#
    }

    /// (path, body, status, error code or nil, words the message must contain)
    static let refusals: [(String, String, Int, String?, String)] = [
        ("/v1/chat/completions", #"{"model": "#, 400, nil, "not valid JSON"),
        ("/v1/chat/completions", "[1, 2]", 400, nil, "must be a JSON object"),
        ("/v1/chat/completions", "", 400, nil, "has no body"),
        ("/v1/chat/completions", #"{"model": "\#(model)"}"#, 400, nil, "'messages' is required"),
        ("/v1/chat/completions", #"{"messages": []}"#, 400, nil, "'model' is required"),
        ("/v1/chat/completions", chat(#", "temperature": "hot""#), 400, nil, "'temperature' must be a number"),
        ("/v1/chat/completions", chat(#", "max_tokens": 2.5"#), 400, nil, "'max_tokens' must be an integer"),
        ("/v1/chat/completions", chat(#", "stream": "yes""#), 400, nil, "'stream' must be true or false"),
        ("/v1/chat/completions", #"{"model": "\#(model)", "messages": [{"role": "user", "content": 5}]}"#, 400, nil,
         "'messages[0].content' must be a string or a list of text parts"),
        ("/v1/chat/completions", #"{"model": "\#(model)", "messages": [{"content": "Hi"}]}"#, 400, nil, "'messages[0].role' is required"),
        ("/v1/chat/completions", #"{"model": "\#(model)", "messages": [{"role": "tool", "content": "Hi"}]}"#, 400, nil, "'messages[0].role' is 'tool'"),
        ("/v1/chat/completions", #"{"model": "\#(model)", "messages": []}"#, 400, nil, "at least one message"),
        ("/v1/chat/completions", chat(model: "gpt-4o"), 404, "model_not_found", "'gpt-4o' does not exist"),
        ("/v1/chat/completions", chat(#", "temperature": 5"#), 400, nil, "'temperature' must be in [0, 2]"),
        ("/v1/chat/completions", chat(#", "top_p": 0"#), 400, nil, "'top_p' must be in (0, 1]"),
        ("/v1/chat/completions", chat(#", "max_tokens": 0"#), 400, nil, "'max_tokens' must be at least 1"),
        ("/v1/chat/completions", chat(#", "n": 2"#), 400, nil, "'n' must be 1"),
        ("/v1/chat/completions", chat(#", "stop": ["a", "b", "c", "d", "e"]"#), 400, nil, "at most 4"),
        ("/v1/chat/completions", chat(#", "stop": 7"#), 400, nil, "'stop' must be a string or a list of strings"),
        ("/v1/chat/completions", chat(#", "logprobs": true"#), 400, nil, "'logprobs' is not supported"),
        ("/v1/chat/completions", #"{"model": "\#(model)", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#, 400, nil,
         "'image_url' are not supported"),
        ("/v1/completions", #"{"model": "\#(model)"}"#, 400, nil, "'prompt' is required"),
        ("/v1/completions", #"{"model": "\#(model)", "prompt": ""}"#, 400, nil, "'prompt' is empty"),
        ("/v1/completions", #"{"model": "\#(model)", "prompt": 42}"#, 400, nil, "'prompt' must be a string"),
        ("/v1/completions", #"{"model": "\#(model)", "prompt": "\#(String(repeating: "word ", count: 600))"}"#, 400,
         "context_length_exceeded", "the context holds 512"),
        ("/v1/embeddings", #"{"model": "\#(model)"}"#, 404, "not_found", "There is no POST /v1/embeddings"),
    ]

    @Test("malformed, incomplete, wrong-typed, out-of-range and too-long requests, unknown models and routes: 4xx with an OpenAI error body; the server keeps serving")
    func refusals() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        for (path, body, status, code, words) in Self.refusals {
            let response = try server.post(path, body)
            #expect(response.status == status, "\(path) \(body.prefix(120)): \(response.status) \(response.body)")
            #expect(response.headers["content-type"] == "application/json", "\(body.prefix(120))")
            #expect(response.errorMessage?.contains(words) == true, "\(body.prefix(120)): \(response.body)")
            if let code { #expect(response.errorCode == code, "\(body.prefix(120)): \(response.body)") }
        }
        // A body past the 8 MiB limit is refused before it is parsed.
        let huge = try server.post("/v1/completions", #"{"prompt": ""# + String(repeating: "x", count: 9 << 20) + #""}"#)
        #expect(huge.status == 413, "\(huge.status) \(huge.body.prefix(300))")
        // Still serving, and each refusal was counted and logged.
        let answer = try server.post("/v1/completions", #"{"model": "\#(Self.model)", "prompt": "The capital of France is", "max_tokens": 2, "temperature": 0}"#)
        #expect(answer.status == 200, "\(answer.body)")
        #expect(((answer.json?["choices"] as? [[String: Any]])?.first?["text"] as? String)?.hasPrefix(" Paris") == true, "\(answer.body)")
        // The server closes the connection after an answer: it says so, so that no client reuses it.
        #expect(answer.headers["connection"] == "close", "\(answer.headers)")
        let metrics = try server.get("/metrics").body
        #expect(metrics.contains(#"dllama_requests_total{route="/v1/chat/completions",status="400"}"#), "\(metrics)")
        #expect(metrics.contains(#"dllama_requests_total{route="/v1/chat/completions",status="404"} 1"#), "\(metrics)")
        server.waitForLog("POST /v1/completions 200")
        #expect(server.log.components(separatedBy: " 400 in ").count - 1 == Self.refusals.filter { $0.2 == 400 }.count, "\(server.log)")
    }

    @Test("--api-key: every route but /health and the page's files needs the bearer key; a missing or wrong one gets 401")
    func apiKey() throws {
        let server = try ServerProcess(["--api-key", "s3cret"])
        defer { server.stop() }
        for path in ["/v1/models", "/metrics", "/v1/cluster"] {
            for headers in [[:], ["Authorization": "Bearer wrong"], ["Authorization": "s3cret"]] {
                let response = try server.get(path, headers: headers)
                #expect(response.status == 401, "\(path) \(headers): \(response.status)")
                #expect(response.errorCode == "invalid_api_key", "\(response.body)")
                #expect(response.headers["www-authenticate"] == "Bearer")
            }
            #expect(try server.get(path, headers: ["Authorization": "Bearer s3cret"]).status == 200, "\(path)")
        }
        #expect(try server.post("/v1/completions", #"{"model": "\#(Self.model)", "prompt": "Hi", "max_tokens": 1}"#).status == 401)
        let allowed = try server.post("/v1/completions", #"{"model": "\#(Self.model)", "prompt": "Hi", "max_tokens": 1}"#,
                                      headers: ["Authorization": "Bearer s3cret"])
        #expect(allowed.status == 200, "\(allowed.body)")
        #expect(try server.get("/health").status == 200)
        #expect(try server.get("/").status == 200)
        // Browsers on other origins: the preflight passes without the key, refusals carry CORS headers.
        let preflight = try HTTPTestConnection.request(port: server.port, "OPTIONS", "/v1/chat/completions",
                                                       headers: ["Origin": "http://ui.example", "Access-Control-Request-Method": "POST"])
        #expect((200...204).contains(preflight.status) && preflight.headers["access-control-allow-origin"] == "*", "\(preflight.headers)")
        #expect(preflight.headers["access-control-allow-headers"]?.lowercased().contains("authorization") == true, "\(preflight.headers)")
        let refused = try server.get("/v1/models", headers: ["Origin": "http://ui.example"])
        #expect(refused.status == 401 && refused.headers["access-control-allow-origin"] == "*", "\(refused.headers)")
        #expect(server.log.contains("API key required"))
    }

    /// Connections that hold a slot without asking anything are closed after --idle-timeout: one
    /// silent from the start, one that stops halfway through its request line. A client waiting
    /// for a long answer is never cut, however long the generation takes (1,500 tokens: over 4 s at
    /// 350 tokens/s, the context raised to hold them).
    @Test("--idle-timeout closes silent and half-sent connections; an answer longer than the timeout is not cut")
    func idleConnections() throws {
        let server = try ServerProcess(["--idle-timeout", "1", "--max-seq-len", "2048"])
        defer { server.stop() }
        let silent = try HTTPTestConnection(port: server.port, timeout: 20)
        let halfSent = try HTTPTestConnection(port: server.port, timeout: 20)
        try halfSent.sendRaw("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        let long = try HTTPTestConnection(port: server.port, timeout: 60)
        try long.send("POST", "/v1/completions",
                      body: #"{"model": "\#(Self.model)", "prompt": "1, 2, 3, 4, 5,", "max_tokens": 1500, "temperature": 0, "stream": true}"#)
        let started = Date()
        // Each read ends when the server closes the connection (or after its own 20 s limit).
        #expect(silent.read() == "")
        #expect(halfSent.read().isEmpty)
        #expect(Date().timeIntervalSince(started) < 15, "the idle connections were not closed")
        let answer = long.read()
        #expect(answer.hasPrefix("HTTP/1.1 200") && answer.contains("data: [DONE]"), "\(answer.suffix(300))")
        #expect(try server.get("/health").status == 200)
    }

    /// A stream that would run for 1,500 tokens (seconds) holds the engine; one request waits; the
    /// next is refused. Then the streaming client leaves: its generation stops at once and the
    /// waiting request is answered.
    @Test("a full queue answers 429 with Retry-After; a client leaving mid-stream stops its generation and the next request is served")
    func queueAndDisconnect() throws {
        let server = try ServerProcess(["--max-queue", "1", "--max-seq-len", "2048"])
        defer { server.stop() }
        let counting = #"{"model": "\#(Self.model)", "prompt": "1, 2, 3, 4, 5,", "max_tokens": 1500, "temperature": 0, "stream": true}"#
        let streaming = try HTTPTestConnection(port: server.port)
        try streaming.send("POST", "/v1/completions", body: counting)
        let seen = streaming.read { $0.components(separatedBy: "data: ").count > 3 }
        #expect(seen.hasPrefix("HTTP/1.1 200"), "\(seen)")

        let waiting = try HTTPTestConnection(port: server.port)
        try waiting.send("POST", "/v1/completions", body: #"{"model": "\#(Self.model)", "prompt": "The capital of France is", "max_tokens": 2, "temperature": 0}"#)
        let queued = server.background.wait(timeout: 30) { _ in
            (try? server.get("/health").json?["waiting"] as? Int) == 1
        }
        #expect(queued, "the second request never showed as waiting")

        let refused = try server.post("/v1/completions", #"{"model": "\#(Self.model)", "prompt": "Hi", "max_tokens": 1}"#)
        #expect(refused.status == 429, "\(refused.body)")
        #expect(refused.errorCode == "queue_full", "\(refused.body)")
        #expect(Int(refused.headers["retry-after"] ?? "").map { $0 >= 1 } == true, "\(refused.headers)")

        streaming.close()
        let served = try waiting.response()
        #expect(served.status == 200, "\(served.body)")
        server.waitForLog("the client went away")
        // The stream was cancelled before its 1,500 tokens. How many came before the close depends
        // only on the engine's speed (14 at 335 tokens/s), so no tighter bound is asserted.
        let line = server.log.split(separator: "\n").first { $0.contains("the client went away") } ?? ""
        let completion = line.components(separatedBy: "completion ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
        #expect(completion.map { $0 >= 3 && $0 < 1500 } == true, "\(line)")
        #expect(line.contains("finish cancelled"), "\(line)")

        let metrics = try server.get("/metrics").body
        for series in [#"dllama_requests_total{route="/v1/completions",status="429"} 1"#, "dllama_generated_tokens_total",
                       "dllama_time_to_first_token_seconds_bucket", "dllama_token_latency_seconds_count", #"dllama_node_resident_bytes{node="0"}"#] {
            #expect(metrics.contains(series), "\(series) in \(metrics)")
        }

        // A client waiting for a whole (not streamed) answer that leaves stops its generation too.
        let whole = try HTTPTestConnection(port: server.port)
        try whole.send("POST", "/v1/completions", body: counting.replacingOccurrences(of: #", "stream": true"#, with: ""))
        #expect(server.background.wait(timeout: 30) { _ in (try? server.get("/health").json?["running"] as? Int) == 1 })
        whole.close()
        #expect(server.waitForLog("the client went away", count: 2), "\(server.log)")
        let next = try server.post("/v1/completions", #"{"model": "\#(Self.model)", "prompt": "Hi", "max_tokens": 1}"#)
        #expect(next.status == 200, "\(next.body)")
        let wholeLine = server.log.split(separator: "\n").last { $0.contains("the client went away") } ?? ""
        // Stopped after a few tokens ("finish cancelled"), or before its first one, when the engine
        // sees the client gone as it starts the job (no completion count): never the whole 400.
        let stoppedEarly = wholeLine.contains("finish cancelled") || !wholeLine.contains("completion ")
        #expect(!wholeLine.isEmpty && stoppedEarly && !wholeLine.contains("completion 400"), "\(wholeLine)")
    }

    @Test("with two workers: the answer of one node, and every node's address, share, memory, speed, sync time and bytes in the panel and metrics", .enabled(if: Assets.present, Assets.missing))
    func cluster() throws {
        let workers = try (0..<2).map { _ in try WorkerProcess(model: InferenceCommandTests.smolLM2) }
        defer { workers.forEach { $0.stop() } }
        let server = try ServerProcess(["--workers"] + workers.map(\.address) + ["--nthreads", "1"])
        defer { server.stop() }
        let answer = try server.post("/v1/completions", #"{"model": "\#(Self.model)", "prompt": "The capital of France is", "max_tokens": 4, "temperature": 0}"#)
        #expect(answer.status == 200, "\(answer.body)\n\(server.log)")
        #expect(((answer.json?["choices"] as? [[String: Any]])?.first?["text"] as? String)?.hasPrefix(" Paris.") == true, "\(answer.body)")

        // The engine asks the nodes for their figures after the answer has gone out: wait for that round.
        var nodes: [[String: Any]] = []
        #expect(server.background.wait(timeout: 30) { _ in
            nodes = (try? server.get("/v1/cluster").json?["nodes"] as? [[String: Any]]) ?? []
            return nodes.count == 3 && nodes.allSatisfy { ($0["tokensPerSecond"] as? Double ?? 0) > 0 }
        }, "\(nodes)")
        #expect(nodes.count == 3)
        #expect(nodes.map { $0["address"] as? String } == ["127.0.0.1 (this server)"] + workers.map(\.address))
        for node in nodes {
            #expect((node["share"] as? String)?.contains("layers 0..<30") == true, "\(node)")
            #expect((node["residentBytes"] as? Int ?? 0) > 1 << 20, "\(node)")
            #expect((node["tokensPerSecond"] as? Double ?? 0) > 0, "\(node)")
            #expect((node["syncMillisecondsPerToken"] as? Double ?? 0) > 0, "\(node)")
            #expect((node["sentBytes"] as? Int ?? 0) > 0 && (node["receivedBytes"] as? Int ?? 0) > 0, "\(node)")
        }
        let metrics = try server.get("/metrics").body
        for node in 0..<3 {
            #expect(metrics.contains(#"dllama_node_sync_seconds_total{node="\#(node)"}"#), "\(metrics)")
            #expect(metrics.contains(#"dllama_node_sent_bytes_total{node="\#(node)"}"#), "\(metrics)")
        }

        // A worker that goes away: requests fail with a 500 naming the problem, /health turns 503.
        workers[1].background.kill()
        let failed = try server.post("/v1/completions", #"{"model": "\#(Self.model)", "prompt": "Hello", "max_tokens": 2}"#)
        #expect(failed.status == 500 && failed.errorMessage?.contains("Generation failed") == true, "\(failed.body)")
        let health = try server.get("/health")
        #expect(health.status == 503 && health.json?["status"] as? String == "error", "\(health.body)")
    }

    @Test("SIGTERM while a stream runs: the stream ends with an error event saying why, and the server exits 0")
    func shutdown() throws {
        // 1,500 tokens: seconds of generation, still running when the signal comes.
        let server = try ServerProcess(["--max-seq-len", "2048"])
        defer { server.stop() }
        let streaming = try HTTPTestConnection(port: server.port)
        try streaming.send("POST", "/v1/completions",
                           body: #"{"model": "\#(Self.model)", "prompt": "1, 2, 3, 4, 5,", "max_tokens": 1500, "temperature": 0, "stream": true}"#)
        streaming.read { $0.components(separatedBy: "data: ").count > 2 }
        server.background.kill(SIGTERM)
        let received = streaming.read()   // to the end: the server closes the stream
        #expect(received.contains("The server is shutting down"), "\(received.suffix(400))")
        #expect(!received.contains("[DONE]"))
        #expect(server.background.exitStatus(timeout: 30) == 0, "\(server.log)")
    }

    @Test("start-up errors exit non-zero with a message naming the problem", .enabled(if: Assets.present, Assets.missing))
    func startErrors() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let cases: [([String], String)] = [
            (["--port", "\(server.port)"], "the port is in use"),
            (["--port", "70000"], "--port must be between 0 and 65535"),
            (["--max-queue=-1"], "--max-queue must be 0 or more"),
            (["--api-key", ""], "--api-key is empty"),
            (["--chat-template", "nope"], "nope"),
        ]
        for (arguments, message) in cases {
            let result = try Executables.run("dllama", ["serve", "--model", InferenceCommandTests.smolLM2, "--host", "127.0.0.1",
                                                        "--max-seq-len", "128"] + arguments, timeout: 60)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
