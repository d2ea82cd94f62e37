import Foundation
import Testing
import TestSupport
@testable import NeuralNet

@Suite struct SoftmaxCrossEntropyTests {
    private func evaluate(_ logits: [Float], labels: [Int32], classes: Int) -> (Double, [Float]) {
        var gradient = [Float](repeating: .nan, count: logits.count)
        let loss = logits.withUnsafeBufferPointer { z in
            labels.withUnsafeBufferPointer { y in
                gradient.withUnsafeMutableBufferPointer { g in
                    softmaxCrossEntropy(logits: z.baseAddress!, labels: y.baseAddress!, rows: labels.count,
                                        classes: classes, gradient: g.baseAddress!)
                }
            }
        }
        return (loss, gradient)
    }

    @Test func staysFiniteForHugeLogits() {
        let (loss, gradient) = evaluate([1e4, -1e4, 0, -1e4, 1e4, 3], labels: [1, 0], classes: 3)
        #expect(loss.isFinite)
        #expect(gradient.allSatisfy { $0.isFinite })
        // Each row's true class sits 2e4 below the largest logit.
        #expect(abs(loss - 2e4) < 1)
    }

    @Test func uniformLogitsGiveLogOfClassCount() {
        let (loss, gradient) = evaluate([Float](repeating: 0.5, count: 10), labels: [3], classes: 10)
        #expect(abs(loss - log(10.0)) < 1e-6)
        #expect(abs(gradient[3] - (0.1 - 1)) < 1e-6)
        #expect(abs(gradient[0] - 0.1) < 1e-6)
    }

    @Test func gradientRowsSumToZeroAndScaleWithBatch() {
        let logits: [Float] = [1, 2, 3, -1, 0, 4]
        let (_, gradient) = evaluate(logits, labels: [2, 0], classes: 3)
        for row in 0..<2 {
            let sum = gradient[(row * 3)..<(row * 3 + 3)].reduce(0, +)
            #expect(abs(sum) < 1e-6)
        }
        // softmax([1,2,3])[2] = 0.665241; over a batch of 2, (p - 1) / 2.
        #expect(abs(gradient[2] - (0.665241 - 1) / 2) < 1e-5)
    }
}

@Suite struct FastExpTests {
    @Test func matchesLibmAcrossTheRange() {
        var errors: [Double] = []
        var x: Float = -87
        while x < 88 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 })
            let fast = fastExp(lanes)
            for i in 0..<8 {
                let exact = Foundation.exp(Double(lanes[i]))
                errors.append(abs(Double(fast[i]) - exact) / exact)
            }
            x += 0.173
        }
        let worst = largestPropagatingNaN(errors)
        #expect(worst < 4e-7, "worst relative error \(worst)")
        let edges = fastExp(SIMD8<Float>(-1000, -88, 89, 1000, 0, 1, -1, .infinity))
        #expect(edges[0] == 0 && edges[1] == 0)
        #expect(edges[2] == .infinity && edges[3] == .infinity && edges[7] == .infinity)
        #expect(edges[4] == 1)
    }
}
