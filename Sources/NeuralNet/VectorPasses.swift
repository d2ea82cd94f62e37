import CElementwise

/// The element-wise passes CElementwise compiles once per instruction set; which one this CPU
/// runs, for the banner and the summary.
public enum VectorPasses {
    /// "avx512f", "avx2" or "sse2" (picked at load time; every one computes the same bits).
    public static var instructionSet: String { String(cString: ew_instruction_set()) }

    /// to[i] = Float(from[i]) × scale.
    ///
    /// - Parameters:
    ///   - from: `[count]` bytes.
    ///   - to: `[count]` floats.
    public static func scale(_ from: UnsafePointer<UInt8>, into to: UnsafeMutablePointer<Float>, count: Int, by scale: Float) {
        ew_scale_bytes(from, to, count, scale)
    }

    /// a[i] += b[i], element by element (vector lanes add independent elements: the same bits
    /// on every instruction set).
    ///
    /// - Parameters:
    ///   - a: `[count]`, updated.
    ///   - b: `[count]`, not overlapping `a`.
    public static func add(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        ew_add(a, b, count)
    }

    /// out[i] += ((ins[0][i] + ins[1][i]) + ins[2][i]) + ..., in one pass over the elements,
    /// each intermediate sum rounded as separate additions round it (the same bits as
    /// `add(ins[1], ins[0])`, `add(ins[2], ins[1])`, ..., `add(out, ins[n - 1])`).
    ///
    /// - Parameters:
    ///   - out: `[count]`, updated.
    ///   - ins: at least one pointer to `[count]` floats, none overlapping `out`.
    public static func addChain(_ out: UnsafeMutablePointer<Float>, _ ins: UnsafePointer<UnsafePointer<Float>?>, chainLength: Int, count: Int) {
        ew_add_chain(out, ins, chainLength, count)
    }

    /// Asks the CPU to bring rows `base + indices[r] × rowBytes` into its caches ahead of use
    /// (a hint: results never depend on it).
    ///
    /// - Parameters:
    ///   - base: the first row of `[rowCount, rowBytes]` bytes.
    ///   - indices: `[rows]` row numbers, each below the rows `base` holds.
    public static func prefetchRows(_ base: UnsafePointer<UInt8>, indices: UnsafePointer<Int32>, rows: Int, rowBytes: Int) {
        ew_prefetch_rows(base, indices, rows, rowBytes)
    }
}
