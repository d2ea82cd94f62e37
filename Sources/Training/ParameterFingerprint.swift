import NeuralNet

/// A 64-bit FNV-1a hash of a parameter buffer's bit patterns, split into two halves that a
/// `Double` holds exactly (so ranks can compare it with a MAX/MIN reduction).
///
/// Any single differing bit on any rank changes it.
struct ParameterFingerprint {
    let high: Double
    let low: Double

    /// - Parameter parameters: `[n]` the buffer to fingerprint.
    init(_ parameters: FloatBuffer) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in parameters.buffer {
            hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01b3
        }
        high = Double(hash >> 32)
        low = Double(hash & 0xffff_ffff)
    }
}
