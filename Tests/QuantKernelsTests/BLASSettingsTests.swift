import Testing
import QuantKernels

@Suite("OpenBLAS settings")
struct BLASSettingsTests {
    @Test("the thread count set is the thread count OpenBLAS reports")
    func threadCount() {
        BLASSettings.setThreadCount(1)
        #expect(BLASSettings.threadCount == 1)
        BLASSettings.setThreadCount(0)  // clamped: OpenBLAS would otherwise pick one thread per core
        #expect(BLASSettings.threadCount == 1)
    }

    @Test("the configuration names OpenBLAS")
    func configuration() {
        #expect(BLASSettings.configuration.contains("OpenBLAS"))
    }
}
