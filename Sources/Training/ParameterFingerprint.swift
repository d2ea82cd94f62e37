import NeuralNet

/// The 64-bit FNV-1a hash of a parameter buffer's bytes, split into two halves that a
/// `Double` holds exactly (so ranks can compare it with a MAX/MIN reduction).
///
/// Any single differing bit on any rank changes it.
struct ParameterFingerprint {
    let high: Double
    let low: Double

    /// - Parameter parameters: `[n]` the buffer to fingerprint.
    init(_ parameters: FloatBuffer) {
        let hash = fnv1a64(UnsafeRawBufferPointer(parameters.buffer))
        high = Double(hash >> 32)
        low = Double(hash & 0xffff_ffff)
    }
}
