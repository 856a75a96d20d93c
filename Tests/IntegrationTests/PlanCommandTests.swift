import Foundation
import Testing

@Suite("dllama plan, run as a process")
struct PlanCommandTests {
    let model = Executables.fixtures.appendingPathComponent("oracle/dllama_model_llama_q40.m").path

    @Test("prints a table with one row per node")
    func table() throws {
        let result = try Executables.run("dllama", ["plan", "--model", model, "--nodes", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("tensor-parallel plan: 2 nodes"))
        #expect(result.stdout.contains("0 (root)") && result.stdout.contains("collectives per token: 6"))
    }

    @Test("--json describes each node's share")
    func json() throws {
        let result = try Executables.run("dllama", ["plan", "--model", model, "--nodes", "2", "--mode", "pipeline", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((object?["nodes"] as? [Any])?.count == 2)
        #expect(object?["mode"] as? String == "pipeline")
    }

    @Test("impossible plans and bad options exit non-zero with the reason",
          arguments: [(["--nodes", "3"], "use at most 2 nodes, or --mode hybrid"),
                      (["--nodes", "2", "--ram", "1G,2G,3G"], "--ram lists 3 values for 2 nodes"),
                      (["--nodes", "0"], "--nodes must be at least 1"),
                      (["--nodes", "2", "--mode", "ring"], "ring")])
    func refused(arguments: [String], message: String) throws {
        let result = try Executables.run("dllama", ["plan", "--model", model] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("unequal declared RAM that all fits plans every node (issue 15: 1G,2G,4G was refused)")
    func unequalRAM() throws {
        let result = try Executables.run("dllama", ["plan", "-m", model, "--nodes", "2", "--ram", "1G,4G"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").filter { $0.hasPrefix("0 (root)") || $0.hasPrefix("1 ") }
        #expect(rows.count == 2, "\(result.stdout)")
    }

    @Test("a context whose KV cache exceeds this machine's memory is pointed out, not shown as resident without a word")
    func hugeContext() throws {
        let scratch = try ScratchDirectory()
        let model = try Fixtures.dllamaModel(maxSeqLen: Int32.max, in: scratch)
        let result = try Executables.run("dllama", ["plan", "--model", model, "--nodes", "1", "--max-seq-len", "\(Int32.max)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("note: node 0 needs an estimated") && result.stdout.contains("lower --max-seq-len"), "\(result.stdout)")
        let byDefault = try Executables.run("dllama", ["plan", "--model", model, "--nodes", "1"])
        #expect(byDefault.stdout.contains("max seq len 4096") && byDefault.stdout.contains("the model allows \(Int32.max)"), "\(byDefault.stdout)")
    }

    @Test("--json names tensor types instead of their GGML ids")
    func typeNames() throws {
        let result = try Executables.run("dllama", ["plan", "--model", model, "--nodes", "1", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((object?["model"] as? [String: Any])?["weightType"] as? String == "Q4_0", "\(result.stdout.prefix(400))")
    }
}
