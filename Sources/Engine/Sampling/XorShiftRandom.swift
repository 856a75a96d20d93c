/// The xorshift64* generator of llama2.c and distributed-llama (`random_u32` / `random_f32`), so
/// that a seed reproduces the reference's draws.
///
/// ```swift
/// var random = XorShiftRandom(seed: 42)
/// let coin = random.nextFloat()    // in [0, 1)
/// ```
public struct XorShiftRandom: Sendable, Equatable {
    public private(set) var state: UInt64

    /// The reference uses the seed as the state unchanged (a zero seed would stay zero forever, so
    /// it is replaced by 1; the reference seeds from the clock and never sees 0 in practice).
    public init(seed: UInt64) {
        state = seed == 0 ? 1 : seed
    }

    public mutating func nextUInt32() -> UInt32 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return UInt32(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 32)
    }

    /// A float in [0, 1) from the top 24 bits of `nextUInt32()`, as `random_f32`.
    public mutating func nextFloat() -> Float {
        Float(nextUInt32() >> 8) / 16_777_216.0
    }
}
