import Foundation
import ModelFormat
import QuantKernels

/// Squared-error sums of one re-quantized tensor: `relative` is the RMS error over the RMS value.
struct ErrorSums {
    var squaredError = 0.0
    var squaredValue = 0.0

    var relative: Double { squaredValue > 0 ? (squaredError / squaredValue).squareRoot() : 0 }

    mutating func add(_ other: ErrorSums) {
        squaredError += other.squaredError
        squaredValue += other.squaredValue
    }
}

/// Converts a tensor row by row into a buffer of at most `chunkBytes`, hands each full buffer to
/// `write`, and gives the input's pages back behind itself: the memory a conversion holds is one
/// chunk (plus a row of floats per thread), not the tensor and not the model.
///
/// A row is copied when input and output types are the same (Q4_0 to Q40, Q8_0 to Q80, F32 to
/// F32: blocks unchanged), otherwise dequantized to F32 and encoded in the output type; a
/// re-quantized row is decoded again to measure the error it adds.
final class TensorStreamer {
    let kernels: KernelTable
    let pool: ThreadPool
    let chunkBytes: Int
    private var buffer: UnsafeMutableRawBufferPointer

    init(threads: Int, chunkBytes: Int = 8 << 20, kernels: KernelTable = .current) {
        self.kernels = kernels
        self.chunkBytes = chunkBytes
        pool = ThreadPool(threadCount: threads)
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Streams `tensor`; `progress` gets the bytes of each chunk written. Returns the error sums
    /// (zero unless the tensor is re-quantized).
    func stream(_ tensor: PlannedTensor, write: (UnsafeRawBufferPointer) throws -> Void, progress: (Int) -> Void) throws -> ErrorSums {
        let source = tensor.source, target = tensor.target
        let input = try source.file.bytes(source.offset..<(source.offset + source.byteCount))
        let inputType = try source.blockType()
        guard let outputType = BlockType(target.type), let quantize = kernels.quantize(outputType) else {
            throw ConverterError.unsupportedTensorType(path: source.file.path, tensor: target.name, type: target.type.description)
        }
        let dequantizeInput = kernels.dequantize(inputType), dequantizeOutput = kernels.dequantize(outputType)
        let columns = target.rowLength, rows = target.rowCount, outputRowBytes = target.rowBytes
        if outputRowBytes > buffer.count {
            buffer.deallocate()
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: outputRowBytes, alignment: 64)
        }
        let rowsPerChunk = buffer.count / outputRowBytes
        let copies = tensor.copiesBytes, measures = tensor.measuresError
        let order = tensor.rowOrder, inputRowBytes = source.rowBytes
        let inputBase = input.baseAddress!, outputBase = buffer.baseAddress!
        var total = ErrorSums()
        var sums = [ErrorSums](repeating: ErrorSums(), count: pool.threadCount)
        // Per thread: the row as floats, then the row decoded again from the output.
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: pool.threadCount * 2 * columns)
        defer { scratch.deallocate() }

        var start = 0
        while start < rows {
            let count = min(rowsPerChunk, rows - start)
            sums.withUnsafeMutableBufferPointer { sums in
                pool.run { worker, workers in
                    var local = ErrorSums()
                    let values = scratch.baseAddress! + worker * 2 * columns, decoded = values + columns
                    for i in ThreadPool.share(of: 0..<count, worker: worker, workers: workers) {
                        let from = inputBase + order.sourceRow(start + i) * inputRowBytes
                        let to = outputBase + i * outputRowBytes
                        if copies {
                            to.copyMemory(from: from, byteCount: outputRowBytes)
                            continue
                        }
                        dequantizeInput(Int32(columns), from, values)
                        quantize(Int32(columns), values, to)
                        guard measures else { continue }
                        dequantizeOutput(Int32(columns), to, decoded)
                        for j in 0..<columns {
                            let x = Double(values[j]), e = Double(decoded[j]) - x
                            local.squaredError += e * e
                            local.squaredValue += x * x
                        }
                    }
                    sums[worker].add(local)
                }
            }
            try write(UnsafeRawBufferPointer(start: outputBase, count: count * outputRowBytes))
            let touched = (start..<(start + count)).lazy.map(order.sourceRow)
            if let low = touched.min(), let high = touched.max() {
                source.file.releasePages((source.offset + low * inputRowBytes)..<(source.offset + (high + 1) * inputRowBytes))
            }
            progress(count * outputRowBytes)
            start += count
        }
        for s in sums { total.add(s) }
        return total
    }
}
