import COneDNN

/// A fixed-size, 64-byte aligned array of bfloat16 values (their 16 bits as `UInt16`),
/// allocated once: the bfloat16 copies of weights, activations and deltas in mixed precision.
public final class BFloat16Buffer {
    /// The first element; valid for `count` elements while this buffer lives.
    public let pointer: UnsafeMutablePointer<UInt16>
    public let count: Int

    /// `count` zeros.
    public init(count: Int) {
        precondition(count >= 0, "BFloat16Buffer count must not be negative")
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 2, alignment: 64)
        pointer = raw.bindMemory(to: UInt16.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        self.count = count
    }

    deinit { pointer.deallocate() }

    /// Overwrites the first `count` elements with `source` rounded to bfloat16 (nearest even).
    ///
    /// - Parameter source: `[count]` float32 values.
    public func assign(roundingFrom source: UnsafePointer<Float>, count: Int) {
        precondition(count <= self.count, "bfloat16 copy of \(count) into \(self.count)")
        onednn_to_bf16(source, pointer, count)
    }

    /// The element at `index` widened to float32 (exact).
    public subscript(index: Int) -> Float {
        Float(bitPattern: UInt32(pointer[index]) << 16)
    }
}
