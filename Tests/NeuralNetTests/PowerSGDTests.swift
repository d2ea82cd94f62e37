import Testing
import TestSupport
@testable import NeuralNet

/// PowerSGD on matrices whose answer is known: low-rank gradients come back exactly, and the
/// error feedback keeps what was not sent.
@Suite struct PowerSGDTests {
    /// One layer 40 -> 30 (compressed at rank 3) and its 30 biases.
    let layout = NetworkLayout(sizes: [40, 30])

    private func lowRank(rows: Int, columns: Int, rank: Int, random: inout RandomSource) -> [Float] {
        let a = (0..<(rows * rank)).map { _ in Float(random.nextNormal()) }
        let b = (0..<(columns * rank)).map { _ in Float(random.nextNormal()) }
        return referenceMatrixMultiply(a, .none, b, .transposed, m: rows, n: columns, k: rank).map { Float($0) }
    }

    /// One step over `ranks` simulated ranks (sums done here as MPI would).
    private func step(_ compressors: [PowerSGDCompressor], _ gradients: inout [[Float]]) {
        let c = compressors[0]
        var sendP = [[Float]](repeating: [Float](repeating: 0, count: c.pCount + c.uncompressedCount), count: compressors.count)
        for r in compressors.indices {
            gradients[r].withUnsafeMutableBufferPointer { g in
                sendP[r].withUnsafeMutableBufferPointer { compressors[r].encodeP(gradients: g.baseAddress!, into: $0.baseAddress!) }
            }
        }
        let summedP = sendP.dropFirst().reduce(sendP[0]) { zip($0, $1).map(+) }
        var orthonormal = [[Float]](repeating: summedP, count: compressors.count)
        var sendQ = [[Float]](repeating: [Float](repeating: 0, count: c.qCount), count: compressors.count)
        for r in compressors.indices {
            gradients[r].withUnsafeBufferPointer { g in
                orthonormal[r].withUnsafeMutableBufferPointer { p in
                    sendQ[r].withUnsafeMutableBufferPointer {
                        compressors[r].encodeQ(gradients: g.baseAddress!, summedP: p.baseAddress!, into: $0.baseAddress!)
                    }
                }
            }
        }
        let summedQ = sendQ.dropFirst().reduce(sendQ[0]) { zip($0, $1).map(+) }
        for r in compressors.indices {
            gradients[r].withUnsafeMutableBufferPointer { g in
                compressors[r].decode(
                    gradients: g.baseAddress!, orthonormalP: orthonormal[r], summedUncompressed: Array(summedP[c.pCount...]),
                    summedQ: summedQ, ranks: compressors.count)
            }
        }
    }

    @Test func splitsWeightsFromBiasesAndSkipsMatricesThatWouldNotShrink() {
        let compressor = PowerSGDCompressor(layout: NetworkLayout(sizes: [784, 256, 256, 10]), rank: 4, seed: 1)
        #expect(compressor.matrices.map(\.rows) == [784, 256, 256])
        #expect(compressor.pCount == (784 + 256 + 256) * 4 && compressor.qCount == (256 + 256 + 10) * 4)
        #expect(compressor.uncompressedCount == 256 + 256 + 10)
        #expect(compressor.floatsPerStep == 5184 + 522 + 2088)  // vs 269,322 uncompressed: 35x fewer
        // Rank 10: (256 + 10) x 10 = 2,660 >= 256 x 10, so the last matrix goes as it is.
        let rank10 = PowerSGDCompressor(layout: NetworkLayout(sizes: [784, 256, 256, 10]), rank: 10, seed: 1)
        #expect(rank10.matrices.map(\.rows) == [784, 256] && rank10.uncompressedCount == 522 + 2560)
    }

    @Test func aLowRankSumComesBackExactlyOnEveryRank() {
        var random = RandomSource(seed: 7)
        // Two ranks whose gradients share a rank-3 column space: their sum has rank 3.
        let a = (0..<(40 * 3)).map { _ in Float(random.nextNormal()) }
        func gradient() -> [Float] {
            let b = (0..<(30 * 3)).map { _ in Float(random.nextNormal()) }
            let weights = referenceMatrixMultiply(a, .none, b, .transposed, m: 40, n: 30, k: 3).map { Float($0) }
            return weights + (0..<30).map { _ in Float(random.nextNormal()) }
        }
        var gradients = [gradient(), gradient()]
        let original = gradients[0]
        let expected = zip(gradients[0], gradients[1]).map(+)
        let compressors = [PowerSGDCompressor(layout: layout, rank: 3, seed: 11), PowerSGDCompressor(layout: layout, rank: 3, seed: 11)]
        step(compressors, &gradients)
        #expect(gradients[0] == gradients[1], "every rank must hold the same result")
        let worst = largestPropagatingNaN(zip(gradients[0], expected).map { abs($0 - $1) })
        #expect(worst < 1e-4, "largest difference from the exact sum: \(worst)")
        // Rank 0 keeps what it sent minus its share of what arrived: e = M0 - sum / 2.
        let error = compressors[0].errors.array.prefix(40 * 30)
        let kept = zip(original.prefix(40 * 30), expected.prefix(40 * 30)).map { $0 - $1 / 2 }
        #expect(zip(error, kept).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(compressors[0].errors.array.suffix(30).allSatisfy { $0 == 0 }, "biases carry no error")
    }

    @Test func errorFeedbackKeepsEverythingNotYetSentAndStaysBounded() {
        // One rank, full-rank random gradients at rank 1: sum of applied updates + the error
        // left = sum of gradients (nothing is lost, only delayed), and the error stays bounded.
        var random = RandomSource(seed: 3)
        let compressor = PowerSGDCompressor(layout: layout, rank: 1, seed: 5)
        let weights = 40 * 30
        var applied = [Double](repeating: 0, count: weights)
        var given = [Double](repeating: 0, count: weights)
        var errorNorms: [Double] = []
        for _ in 0..<300 {
            var gradients = [(0..<layout.parameterCount).map { _ in Float(random.nextNormal()) }]
            for index in 0..<weights { given[index] += Double(gradients[0][index]) }
            step([compressor], &gradients)
            for index in 0..<weights { applied[index] += Double(gradients[0][index]) }
            let errorNorm = compressor.errors.array.prefix(weights).reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()
            errorNorms.append(errorNorm)
        }
        let largestError = largestPropagatingNaN(errorNorms)
        let residual = compressor.errors.array.prefix(weights)
        let worst = largestPropagatingNaN((0..<weights).map { abs(applied[$0] + Double(residual[$0]) - given[$0]) })
        #expect(worst < 1e-2, "updates + error drift from the gradients' sum by \(worst)")
        // A gradient's norm is about sqrt(1200) = 35; an unbounded error would grow like sqrt(t) x 35.
        #expect(largestError < 35 * 10, "error norm reached \(largestError)")
    }

    @Test func orthonormalizedColumnsAreOrthonormal() {
        var random = RandomSource(seed: 9)
        var matrix = (0..<(50 * 4)).map { _ in Float(random.nextNormal()) }
        matrix.withUnsafeMutableBufferPointer { PowerSGDCompressor.orthonormalizeColumns($0.baseAddress!, rows: 50, columns: 4) }
        for i in 0..<4 {
            for j in 0..<4 {
                let dot = (0..<50).reduce(0.0) { $0 + Double(matrix[$1 * 4 + i]) * Double(matrix[$1 * 4 + j]) }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-5, "column \(i) . column \(j) = \(dot)")
            }
        }
    }
}
