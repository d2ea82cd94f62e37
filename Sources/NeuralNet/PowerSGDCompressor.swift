import CElementwise

/// Rank-r PowerSGD gradient compression (Vogels, Karimireddy and Jaggi, NeurIPS 2019), as
/// PyTorch's DDP `powerSGD_hook` does it: each weight matrix's gradient M (`[n, m]`, plus this
/// rank's error feedback) is approximated by P Qᵀ from one power iteration, warm-started from
/// the previous step's Q:
///
/// 1. `encodeP`: M ← M + e; P = M Q (`[n, r]`). The caller sums every rank's P (one allreduce,
///    together with the parts sent as they are).
/// 2. `encodeQ`: orthonormalise the summed P's columns; Q = Mᵀ P (`[m, r]`). The caller sums Q.
/// 3. `decode`: the gradient becomes P Qᵀ, which approximates the sum of all ranks' M; this
///    rank keeps e = M − P Qᵀ / ranks (what it sent minus its share of what arrived).
///
/// Each step reads a matrix three times (CElementwise's fused passes, one per step above),
/// where sgemm calls read, pack and zero it about eleven times.
///
/// Matrices where (n + m) r ≥ n m gain nothing and, like biases, travel uncompressed. Every
/// rank derives the same P, Q and result (from sums every rank receives alike), so parameters
/// stay identical; only the error feedback differs between ranks. No MPI here.
public final class PowerSGDCompressor {
    /// One compressed weight matrix: where it sits and where its factors go.
    public struct Matrix: Sendable, Equatable {
        /// Offset of the `[rows, columns]` matrix in the gradient buffer.
        public let offset: Int
        public let rows: Int
        public let columns: Int
        /// Offsets of its `[rows, rank]` P and `[columns, rank]` Q in the packed factor buffers.
        public let pOffset: Int
        public let qOffset: Int
    }

    public let rank: Int
    public let matrices: [Matrix]
    /// Ranges of the gradient buffer sent uncompressed (biases, matrices too small to gain).
    public let uncompressed: [Range<Int>]
    /// Floats of all P factors, of all Q factors, of the uncompressed ranges.
    public let pCount: Int
    public let qCount: Int
    public let uncompressedCount: Int
    /// `[parameterCount]` this rank's error feedback (zero outside the compressed matrices).
    public let errors: FloatBuffer
    /// `[qCount]` the warm-started Q factors (the same on every rank).
    public let q: FloatBuffer
    /// `[rank, columns]` of the widest matrix: one Q transposed, as the fused passes read it.
    private let transposedQ: FloatBuffer

    /// - Parameters:
    ///   - layout: the model whose gradients are compressed.
    ///   - rank: the approximation rank r (≥ 1).
    ///   - seed: Q's initial values are drawn from N(0, 1) with this seed (equal on every rank).
    public init(layout: NetworkLayout, rank: Int, seed: UInt64) {
        precondition(rank >= 1, "PowerSGD rank must be at least 1")
        self.rank = rank
        var matrices: [Matrix] = []
        var uncompressed: [Range<Int>] = []
        var pCount = 0, qCount = 0
        for layer in layout.layers where layer.biasCount > 0 {
            // A convolution's weights as the matrix [k·k·C, filters] (out-channels by the rest, transposed).
            let (n, m) = (layer.weightRows, layer.weightColumns)
            if PowerSGDCompressor.compresses(rows: n, columns: m, rank: rank) == true {
                matrices.append(Matrix(offset: layer.weightOffset, rows: n, columns: m, pOffset: pCount, qOffset: qCount))
                pCount += n * rank
                qCount += m * rank
            } else {
                uncompressed.append(layer.weightOffset..<(layer.weightOffset + n * m))
            }
            uncompressed.append(layer.biasOffset..<(layer.biasOffset + layer.biasCount))
        }
        self.matrices = matrices
        self.uncompressed = uncompressed
        self.pCount = pCount
        self.qCount = qCount
        uncompressedCount = uncompressed.reduce(0) { $0 + $1.count }
        errors = FloatBuffer(count: layout.parameterCount)
        q = FloatBuffer(count: qCount)
        transposedQ = FloatBuffer(count: (matrices.map(\.columns).max() ?? 0) * rank)
        var random = RandomSource(seed: seed, stream: 0x5057_5347)  // "PWSG"
        for index in 0..<qCount { q[index] = Float(random.nextNormal()) }
    }

    /// The P and Q float counts of a model of `layout` at `rank`, without making one (nil when
    /// they overflow): what a checkpoint's PowerSGD state must hold.
    public static func factorCounts(layout: NetworkLayout, rank: Int) -> (p: Int, q: Int)? {
        var p = 0, q = 0
        for layer in layout.layers where layer.biasCount > 0 {
            let (n, m) = (layer.weightRows, layer.weightColumns)
            guard let worthIt = compresses(rows: n, columns: m, rank: rank) else { return nil }
            guard worthIt else { continue }
            let (np, o4) = n.multipliedReportingOverflow(by: rank)
            let (mq, o5) = m.multipliedReportingOverflow(by: rank)
            let (newP, o6) = p.addingReportingOverflow(np)
            let (newQ, o7) = q.addingReportingOverflow(mq)
            guard !o4, !o5, !o6, !o7 else { return nil }
            (p, q) = (newP, newQ)
        }
        return (p, q)
    }

    /// Whether a `[rows, columns]` matrix gains from rank-`rank` factors: (rows + columns) · rank
    /// < rows · columns. Nil when the sizes overflow.
    static func compresses(rows: Int, columns: Int, rank: Int) -> Bool? {
        let (sum, o1) = rows.addingReportingOverflow(columns)
        let (factors, o2) = sum.multipliedReportingOverflow(by: rank)
        let (whole, o3) = rows.multipliedReportingOverflow(by: columns)
        guard !o1, !o2, !o3 else { return nil }
        return factors < whole
    }

    /// One step of the whole exchange: `encodeP` into `first`, `sum(first)`, `encodeQ` into
    /// `second`, `sum(second)`, `decode`. `sum` replaces a buffer by its sum over ranks (an
    /// allreduce; the identity on one process). Values of `first` past `pCount +
    /// uncompressedCount` are the caller's and travel in the first sum untouched.
    ///
    /// - Parameters:
    ///   - gradients: `[parameterCount]` this rank's gradients; afterwards the (approximate) sum.
    ///   - first: `[pCount + uncompressedCount + extra]`; second: `[qCount]`.
    ///   - ranks: the number of ranks whose gradients `sum` adds up.
    public func exchange(
        gradients: UnsafeMutablePointer<Float>, first: UnsafeMutableBufferPointer<Float>,
        second: UnsafeMutableBufferPointer<Float>, ranks: Int,
        sum: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows {
        guard let firstBase = first.baseAddress, let secondBase = second.baseAddress else { return }
        encodeP(gradients: gradients, into: firstBase)
        try sum(first)
        encodeQ(gradients: gradients, summedP: firstBase, into: secondBase)
        try sum(second)
        decode(
            gradients: gradients, orthonormalP: firstBase, summedUncompressed: firstBase + pCount,
            summedQ: secondBase, ranks: ranks)
    }

    /// Floats sent per step: the P sum, then the Q sum (uncompressed parts ride with P).
    public var floatsPerStep: Int { pCount + uncompressedCount + qCount }

    /// Step 1: adds the error feedback to each compressed matrix of `gradients` (which then
    /// holds M) and writes P = M Q into `send[0 ..< pCount]` and the uncompressed ranges after
    /// it, `send[pCount ..< pCount + uncompressedCount]`.
    ///
    /// - Parameters:
    ///   - gradients: `[parameterCount]` this rank's gradients; compressed matrices become M.
    ///   - send: `[pCount + uncompressedCount]` (or longer) to be summed over ranks.
    public func encodeP(gradients: UnsafeMutablePointer<Float>, into send: UnsafeMutablePointer<Float>) {
        for matrix in matrices {
            transpose(q.pointer + matrix.qOffset, rows: matrix.columns, columns: rank, into: transposedQ.pointer)
            psgd_encode_p(
                gradients + matrix.offset, errors.pointer + matrix.offset, transposedQ.pointer, send + matrix.pOffset,
                matrix.rows, matrix.columns, rank)
        }
        var position = pCount
        for range in uncompressed {
            (send + position).update(from: gradients + range.lowerBound, count: range.count)
            position += range.count
        }
    }

    /// Step 2: orthonormalises each summed P in place (`summedP[0 ..< pCount]`) and writes
    /// Q = Mᵀ P into `send[0 ..< qCount]`.
    ///
    /// - Parameters:
    ///   - gradients: `[parameterCount]` holding M from `encodeP`.
    ///   - summedP: `[pCount]` the sum of every rank's P; orthonormalised here.
    ///   - send: `[qCount]` to be summed over ranks.
    public func encodeQ(
        gradients: UnsafePointer<Float>, summedP: UnsafeMutablePointer<Float>, into send: UnsafeMutablePointer<Float>
    ) {
        for matrix in matrices {
            PowerSGDCompressor.orthonormalizeColumns(summedP + matrix.pOffset, rows: matrix.rows, columns: rank)
            psgd_encode_q(gradients + matrix.offset, summedP + matrix.pOffset, transposedQ.pointer, matrix.rows, matrix.columns, rank)
            transpose(transposedQ.pointer, rows: rank, columns: matrix.columns, into: send + matrix.qOffset)
        }
    }

    /// Step 3: replaces each compressed matrix of `gradients` (M) by P Qᵀ, the approximation
    /// of the sum over ranks, keeps e = M − P Qᵀ / `ranks`, copies the summed uncompressed
    /// ranges back, and keeps Q for the next step's warm start.
    ///
    /// - Parameters:
    ///   - gradients: `[parameterCount]`; afterwards the (approximate) sum over ranks.
    ///   - orthonormalP: `[pCount]` from `encodeQ`; summedUncompressed: `[uncompressedCount]`.
    ///   - summedQ: `[qCount]` the sum of every rank's Q.
    ///   - ranks: the number of ranks whose gradients were summed.
    public func decode(
        gradients: UnsafeMutablePointer<Float>, orthonormalP: UnsafePointer<Float>,
        summedUncompressed: UnsafePointer<Float>, summedQ: UnsafePointer<Float>, ranks: Int
    ) {
        let share = 1 / Float(ranks)
        for matrix in matrices {
            // e = M − P Qᵀ / ranks, M = P Qᵀ, in one pass.
            transpose(summedQ + matrix.qOffset, rows: matrix.columns, columns: rank, into: transposedQ.pointer)
            psgd_decode(
                gradients + matrix.offset, errors.pointer + matrix.offset, orthonormalP + matrix.pOffset,
                transposedQ.pointer, matrix.rows, matrix.columns, rank, share)
            (q.pointer + matrix.qOffset).update(from: summedQ + matrix.qOffset, count: matrix.columns * rank)
        }
        var position = 0
        for range in uncompressed {
            (gradients + range.lowerBound).update(from: summedUncompressed + position, count: range.count)
            position += range.count
        }
    }

    /// Gram-Schmidt on the columns of a row-major `[rows, columns]` matrix: afterwards they are
    /// orthonormal (a column that vanishes stays zero: divided by its norm + `epsilon`, as in
    /// PyTorch's hook).
    static func orthonormalizeColumns(
        _ a: UnsafeMutablePointer<Float>, rows: Int, columns: Int, epsilon: Double = 1e-8
    ) {
        for column in 0..<columns {
            for previous in 0..<column {
                var dot = 0.0
                for row in 0..<rows { dot += Double(a[row * columns + column]) * Double(a[row * columns + previous]) }
                for row in 0..<rows { a[row * columns + column] -= Float(dot) * a[row * columns + previous] }
            }
            var norm = 0.0
            for row in 0..<rows { norm += Double(a[row * columns + column]) * Double(a[row * columns + column]) }
            let scale = Float(1 / (norm.squareRoot() + epsilon))
            for row in 0..<rows { a[row * columns + column] *= scale }
        }
    }

    /// `target[c, r] = source[r, c]` for a row-major `[rows, columns]` source (a few thousand floats).
    private func transpose(
        _ source: UnsafePointer<Float>, rows: Int, columns: Int, into target: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            for c in 0..<columns { target[c * rows + r] = source[r * columns + c] }
        }
    }
}
