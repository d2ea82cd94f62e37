import NeuralNet

/// The 64-bit FNV-1a hash of a parameter buffer's bytes, split into two halves that a
/// `Double` holds exactly (so ranks can compare it with a MAX/MIN reduction).
///
/// Any single differing bit on any rank changes it.
struct ParameterFingerprint {
    let high: Double
    let low: Double
    /// The hash as 16 hexadecimal digits, for the log and the summary.
    let text: String

    /// - Parameter parameters: `[n]` the buffer to fingerprint.
    init(_ parameters: FloatBuffer) {
        let hash = fnv1a64(UnsafeRawBufferPointer(parameters.buffer))
        text = String(hash, radix: 16).leftPadded(to: 16)
        high = Double(hash >> 32)
        low = Double(hash & 0xffff_ffff)
    }
}

extension String {
    /// This text after enough zeros to be `width` long.
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
