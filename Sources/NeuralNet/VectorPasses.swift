import CElementwise
import CInstructionSets

/// The element-wise passes CElementwise compiles once per instruction set; which one this CPU
/// runs, for the banner and the summary.
public enum VectorPasses {
    /// "avx512f", "avx2" or "sse2": the CPU's widest, capped by MNIST_MPI_MAX_ISA (every one
    /// computes the same bits).
    public static var instructionSet: String { String(cString: ew_instruction_set()) }

    /// The banner's words: the instruction set, and the cap when one is set ("avx2 (capped by
    /// MNIST_MPI_MAX_ISA=avx2; the CPU has avx512f)").
    public static var instructionSetDescription: String {
        guard let text = isa_limit_text(), isa_limit_invalid() == 0 else { return instructionSet }
        return "\(instructionSet) (capped by MNIST_MPI_MAX_ISA=\(String(cString: text)); the CPU has \(String(cString: isa_name(isa_cpu()))))"
    }

    /// The line that says MNIST_MPI_MAX_ISA holds a value it does not know, or nil.
    public static var capProblem: String? {
        guard isa_limit_invalid() != 0, let text = isa_limit_text() else { return nil }
        return "MNIST_MPI_MAX_ISA=\(String(cString: text)): use avx512, avx2 or sse2 (the widest instruction set "
            + "mnist-mpi's own passes may use), or unset it"
    }

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
