import CQuantKernels

/// Cache hints for the engine's buffers.
public enum Prefetch {
    /// Asks for the cache lines of `bytes` bytes at `pointer` ahead of a write to them, so that the
    /// write does not wait on memory (a KV cache row, written after the products that follow this call).
    public static func forWrite(_ pointer: UnsafeRawPointer, bytes: Int) {
        qk_prefetch_for_write(pointer, bytes)
    }
}
