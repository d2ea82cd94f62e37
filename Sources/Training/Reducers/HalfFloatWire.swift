import NeuralNet
import SwiftMPI

/// A 16-bit copy of a float32 buffer in one of the `HalfFloat` formats, for the sums that send
/// half the bytes (summed in float32 by a user MPI_Op and rounded).
final class HalfFloatWire {
    let format: HalfFloat
    /// `[count]` the 16-bit values.
    let bits: UnsafeMutablePointer<UInt16>
    let count: Int

    init(_ format: HalfFloat, count: Int) {
        self.format = format
        self.count = count
        bits = UnsafeMutablePointer<UInt16>.allocate(capacity: max(count, 1))
    }

    deinit {
        bits.deallocate()
    }

    /// The 16-bit values of `range`, encoded from `source` (the float32 buffer).
    func encode(_ source: FloatBuffer, _ range: Range<Int>) -> UnsafeMutableBufferPointer<UInt16> {
        format.encode(source.pointer + range.lowerBound, into: bits + range.lowerBound, count: range.count)
        return UnsafeMutableBufferPointer(start: bits + range.lowerBound, count: range.count)
    }

    /// Writes every (summed) 16-bit value back into `destination` as float32.
    func decode(into destination: FloatBuffer) {
        format.decode(bits, into: destination.pointer, count: count)
    }
}
