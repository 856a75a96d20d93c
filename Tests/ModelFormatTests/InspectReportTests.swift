import Foundation
import Testing
import ModelFormat

@Suite("inspect report")
struct InspectReportTests {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    @Test("sizes add up and the JSON round-trips")
    func report() throws {
        let file = try ModelFile(path: fixtures.appendingPathComponent("gguf/tiny-qwen3moe.gguf").path)
        let report = InspectReport(file: file)
        let stats = report.statistics
        #expect(stats.bytesByLayer.count == 2)
        #expect(stats.bytesByLayer.reduce(0, +) + stats.nonLayerBytes == stats.tensorBytes)
        #expect(stats.bytesByType.values.reduce(0, +) == stats.tensorBytes)
        #expect(stats.tensorBytes + file.headerByteCount <= file.fileSize)
        let json = try JSONEncoder().encode(report)
        let decoded = try JSONDecoder().decode(InspectReport.self, from: json)
        #expect(decoded.model == file.model && decoded.fingerprint == report.fingerprint)
        let text = report.renderText()
        #expect(text.contains("qwen3moe") && text.contains("experts         4, 2 active"))
        #expect(text.contains(report.fingerprint))
    }
}
