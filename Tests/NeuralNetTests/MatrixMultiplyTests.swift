import Testing
import TestSupport
@testable import NeuralNet

@Suite struct MatrixMultiplyTests {
    static let cases: [(Transpose, Transpose)] = [
        (.none, .none), (.transposed, .none), (.none, .transposed), (.transposed, .transposed),
    ]

    @Test(arguments: 0..<4)
    func sgemmAgreesWithNaiveReference(caseIndex: Int) {
        let (transposeA, transposeB) = MatrixMultiplyTests.cases[caseIndex]
        let m = 7, n = 5, k = 9
        var random = RandomSource(seed: UInt64(caseIndex))
        let a = (0..<(m * k)).map { _ in Float(random.nextNormal()) }
        let b = (0..<(k * n)).map { _ in Float(random.nextNormal()) }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    matrixMultiply(a.baseAddress!, transposeA, b.baseAddress!, transposeB,
                                   into: c.baseAddress!, m: m, n: n, k: k)
                }
            }
        }
        let expected = referenceMatrixMultiply(a, transposeA, b, transposeB, m: m, n: n, k: k)
        #expect(c.count == expected.count)
        #expect(largestPropagatingNaN(zip(c, expected).map { abs($0 - $1) }) < 1e-4)
    }

    @Test func forwardLayerMatchesReferenceForSeedShapes() throws {
        // One dense layer of the seed model at batch 100: the sgemm path the trainer uses.
        let layout = NetworkLayout(sizes: [784, 256, 10])
        let model = Network(layout: layout, activation: .sigmoid)
        var random = RandomSource(seed: 3)
        model.initialize(.normal(standardDeviation: 1), random: &random)
        let rows = 100
        let input = (0..<(rows * 784)).map { _ in Float(random.nextUnitDouble()) }
        let workspace = try NetworkWorkspace(model: model, capacity: rows)
        let logits = input.withUnsafeBufferPointer {
            Array(UnsafeBufferPointer(start: model.forward(input: $0.baseAddress!, rows: rows, workspace: workspace),
                                      count: rows * 10))
        }
        let p = model.parameters.array
        let l0 = layout.layers[0], l1 = layout.layers[1]
        var hidden = referenceMatrixMultiply(input, .none, Array(p[l0.weightOffset..<l0.biasOffset]), m: rows, n: 256, k: 784)
        for r in 0..<rows { for j in 0..<256 { hidden[r * 256 + j] = 1 / (1 + Float.exp(-(hidden[r * 256 + j] + p[l0.biasOffset + j]))) } }
        var expected = referenceMatrixMultiply(hidden, .none, Array(p[l1.weightOffset..<l1.biasOffset]), m: rows, n: 10, k: 256)
        for r in 0..<rows { for j in 0..<10 { expected[r * 10 + j] += p[l1.biasOffset + j] } }
        #expect(logits.count == expected.count)
        let worst = largestPropagatingNaN(zip(logits, expected).map { abs($0 - $1) / max(1, abs($1)) })
        #expect(worst < 1e-4)
    }

    @Test func columnSumsAddEachColumn() {
        let matrix: [Float] = [1, 2, 3, 4, 5, 6]  // [2, 3]
        let ones: [Float] = [1, 1]
        var out = [Float](repeating: -1, count: 3)
        matrix.withUnsafeBufferPointer { m in
            ones.withUnsafeBufferPointer { o in
                out.withUnsafeMutableBufferPointer { columnSums(m.baseAddress!, rows: 2, columns: 3, ones: o.baseAddress!, into: $0.baseAddress!) }
            }
        }
        #expect(out == [5, 7, 9])
    }
}

private extension Float {
    static func exp(_ x: Float) -> Float { Float(Foundation.exp(Double(x))) }
}

import Foundation
