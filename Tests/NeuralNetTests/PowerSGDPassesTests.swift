import CElementwise
import Testing
@testable import NeuralNet

/// The fused PowerSGD passes (CElementwise/powersgd.c) against scalar loops that sum in the
/// order the C promises: eight lanes over a row combined pairwise, rows in order, the rank
/// terms in order. Bit for bit, so a clone (AVX-512, AVX2, baseline) or a compiler that
/// reorders a sum fails here, and the ranks of a cluster of different CPUs keep equal sums.
struct PowerSGDPassesTests {
    /// Odd sizes: a row tail shorter than eight lanes and a decode chunk boundary (300 > 256).
    let rows = 37, columns = 300, rank = 3

    private func values(_ count: Int, _ random: inout RandomSource) -> [Float] {
        (0..<count).map { _ in Float(random.nextNormal()) }
    }

    private func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }

    @Test func encodePSumsInEightLanes() {
        var random = RandomSource(seed: 21)
        var g = values(rows * columns, &random)
        let e = values(rows * columns, &random), qt = values(rank * columns, &random)
        var expectedM = g
        var expectedP = [Float](repeating: 0, count: rows * rank)
        for i in 0..<rows {
            for j in 0..<columns { expectedM[i * columns + j] += e[i * columns + j] }
            for k in 0..<rank {
                var lanes = [Float](repeating: 0, count: 8)
                for j in 0..<columns { lanes[j % 8] += expectedM[i * columns + j] * qt[k * columns + j] }
                expectedP[i * rank + k] = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
            }
        }
        var p = [Float](repeating: .nan, count: rows * rank)
        psgd_encode_p(&g, e, qt, &p, rows, columns, rank)
        #expect(bits(g) == bits(expectedM))
        #expect(bits(p) == bits(expectedP))
    }

    @Test func encodeQSumsRowsInOrder() {
        var random = RandomSource(seed: 22)
        let m = values(rows * columns, &random), p = values(rows * rank, &random)
        var expected = [Float](repeating: 0, count: rank * columns)
        for i in 0..<rows {
            for k in 0..<rank {
                for j in 0..<columns { expected[k * columns + j] += m[i * columns + j] * p[i * rank + k] }
            }
        }
        var qt = [Float](repeating: .nan, count: rank * columns)
        psgd_encode_q(m, p, &qt, rows, columns, rank)
        #expect(bits(qt) == bits(expected))
    }

    @Test func decodeKeepsTheRestAsError() {
        var random = RandomSource(seed: 23)
        var m = values(rows * columns, &random)
        let p = values(rows * rank, &random), qt = values(rank * columns, &random)
        let share: Float = 0.5
        var expectedM = m, expectedE = m
        for i in 0..<rows {
            for j in 0..<columns {
                var a = p[i * rank] * qt[j]
                for k in 1..<rank { a += p[i * rank + k] * qt[k * columns + j] }
                expectedE[i * columns + j] = m[i * columns + j] - a * share
                expectedM[i * columns + j] = a
            }
        }
        var e = [Float](repeating: .nan, count: rows * columns)
        psgd_decode(&m, &e, p, qt, rows, columns, rank, share)
        #expect(bits(m) == bits(expectedM))
        #expect(bits(e) == bits(expectedE))
    }
}
