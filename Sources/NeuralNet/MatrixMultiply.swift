import CBLAS

/// Whether a matrix operand of `matrixMultiply` is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transposed

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// C = alpha · op(A) · op(B) + beta · C on row-major matrices, by OpenBLAS's `cblas_sgemm`.
///
/// op(A) is `[m, k]` and op(B) is `[k, n]`; the transposes are folded into sgemm's flags so no
/// matrix is ever copied.
///
/// - Parameters:
///   - a: `[m, k]` as stored, or `[k, m]` when `transposeA` is `.transposed`.
///   - b: `[k, n]` as stored, or `[n, k]` when `transposeB` is `.transposed`.
///   - c: `[m, n]`, overwritten (or accumulated into when `beta` is 1).
public func matrixMultiply(
    _ a: UnsafePointer<Float>, _ transposeA: Transpose = .none,
    _ b: UnsafePointer<Float>, _ transposeB: Transpose = .none,
    into c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
) {
    let lda = transposeA == .none ? k : m
    let ldb = transposeB == .none ? n : k
    cblas_sgemm(
        CblasRowMajor, transposeA.cblas, transposeB.cblas,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
}

/// The plain triple loop that `matrixMultiply` must agree with (tests compare the two).
///
/// - Parameters:
///   - a: `[m, k]` (or `[k, m]` transposed); b: `[k, n]` (or `[n, k]` transposed).
/// - Returns: `[m, n]` row-major, accumulated in double precision.
public func referenceMatrixMultiply(
    _ a: [Float], _ transposeA: Transpose = .none,
    _ b: [Float], _ transposeB: Transpose = .none,
    m: Int, n: Int, k: Int
) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let aValue = transposeA == .none ? a[i * k + p] : a[p * m + i]
                let bValue = transposeB == .none ? b[p * n + j] : b[j * k + p]
                sum += Double(aValue) * Double(bValue)
            }
            c[i * n + j] = Float(sum)
        }
    }
    return c
}

/// out[j] = Σ_i matrix[i, j]: the column sums of a row-major matrix (bias gradients), by
/// `cblas_sgemv` against a vector of ones.
///
/// - Parameters:
///   - matrix: `[rows, columns]`.
///   - ones: `[rows]` all 1.
///   - out: `[columns]`, overwritten.
public func columnSums(
    _ matrix: UnsafePointer<Float>, rows: Int, columns: Int,
    ones: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
) {
    cblas_sgemv(
        CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), 1, matrix, Int32(columns),
        ones, 1, 0, out, 1)
}

/// Sets how many threads OpenBLAS uses in this process (one per rank when ranks fill the cores).
public func setBLASThreads(_ count: Int) {
    openblas_set_num_threads(Int32(count))
}
