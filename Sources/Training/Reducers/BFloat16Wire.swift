import NeuralNet
import SwiftMPI

/// A bfloat16 copy of a float32 buffer, for the reducers that send bfloat16 (half the bytes,
/// summed in float32 by a custom MPI_Op and rounded).
final class BFloat16Wire {
    /// `[count]` the bfloat16 values.
    let bits: UnsafeMutablePointer<UInt16>
    let count: Int

    init(count: Int) {
        self.count = count
        bits = UnsafeMutablePointer<UInt16>.allocate(capacity: max(count, 1))
    }

    deinit {
        bits.deallocate()
    }

    /// `value` rounded to bfloat16 and back: what a receiver gets.
    static func rounded(_ value: Float) -> Float {
        var code: UInt16 = 0
        withUnsafePointer(to: value) { BFloat16Codec.encode($0, into: &code, count: 1) }
        var kept: Float = 0
        withUnsafePointer(to: code) { BFloat16Codec.decode($0, into: &kept, count: 1) }
        return kept
    }

    /// The bfloat16 values of `range`, encoded from `source` (the float32 buffer).
    func encode(_ source: FloatBuffer, _ range: Range<Int>) -> UnsafeMutableBufferPointer<UInt16> {
        BFloat16Codec.encode(source.pointer + range.lowerBound, into: bits + range.lowerBound, count: range.count)
        return UnsafeMutableBufferPointer(start: bits + range.lowerBound, count: range.count)
    }

    /// Writes every (summed) bfloat16 value back into `destination` as float32.
    func decode(into destination: FloatBuffer) {
        BFloat16Codec.decode(bits, into: destination.pointer, count: count)
    }
}
