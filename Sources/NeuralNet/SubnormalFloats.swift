import CFloatControl

/// Whether the calling thread treats subnormal floats (below 1.2e-38) as zero.
///
/// Flushing is the default for training, as in TensorFlow and oneDNN: a saturated sigmoid
/// network produces subnormal activations and deltas, and x86 cores compute with those 10-100
/// times slower (4x slower matrix products measured with LARS at a global batch of 6400). The
/// results differ from IEEE arithmetic only below 1.2e-38.
public enum SubnormalFloats {
    /// Flush (true) or keep (false) subnormals on this thread; false where the CPU has no such
    /// mode (then nothing changed).
    @discardableResult
    public static func setFlushed(_ flushed: Bool) -> Bool {
        mnist_set_flush_subnormals(flushed ? 1 : 0) == 1
    }

    /// Whether this thread flushes subnormals now.
    public static var areFlushed: Bool { mnist_flushes_subnormals() == 1 }
}
