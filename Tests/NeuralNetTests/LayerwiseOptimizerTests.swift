import Foundation
import Testing

@testable import NeuralNet

/// LARS and LAMB against straightforward double-precision implementations of the papers'
/// update rules, over a few steps of a tiny two-layer model (weights adapted, biases not).
@Suite struct LayerwiseOptimizerTests {
    /// A 3-2 weight matrix, 2 biases, a 2-1 weight matrix and 1 bias, as in an NetworkLayout.
    let layout = NetworkLayout(sizes: [3, 2, 1])
    let start: [Double] = [0.5, -1.2, 0.3, 0.8, -0.4, 1.1, 0.05, -0.02, 0.7, -0.9, 0.01]
    let gradientSequence: [[Double]] = [
        [0.2, -0.1, 0.05, 0.3, -0.2, 0.1, 0.01, 0.02, -0.3, 0.4, 0.05],
        [-0.1, 0.3, 0.2, -0.05, 0.1, -0.2, 0.03, -0.01, 0.2, -0.1, 0.02],
        [0.05, 0.05, -0.1, 0.1, 0.2, 0.3, -0.02, 0.04, 0.1, 0.1, -0.03],
    ]

    private func runSwift(_ configuration: OptimizerConfiguration, learningRate: Float, scale: Float) -> [Double] {
        let parameters = FloatBuffer(count: start.count)
        parameters.assign(start.map(Float.init))
        let gradients = FloatBuffer(count: start.count)
        let optimizer = Optimizer(configuration, parameterCount: start.count, segments: layout.parameterSegments)
        for step in gradientSequence {
            gradients.assign(step.map(Float.init))
            optimizer.step(parameters: parameters, gradients: gradients, gradientScale: scale, learningRate: learningRate)
        }
        return parameters.array.map(Double.init)
    }

    private func norm(_ values: ArraySlice<Double>) -> Double { values.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// LARS as You, Gitman & Ginsburg (2017) state it, with momentum on the scaled step.
    private func referenceLARS(lr: Double, momentum: Double, eta: Double, decay: Double, scale: Double) -> [Double] {
        var w = start, v = [Double](repeating: 0, count: start.count)
        for g in gradientSequence {
            for segment in layout.parameterSegments {
                let r = segment.range
                let lambda = segment.isAdapted ? decay : 0
                let d = r.map { scale * g[$0] + lambda * w[$0] }
                let wNorm = norm(w[r]), dNorm = norm(d[...])
                let trust = segment.isAdapted && wNorm > 0 && dNorm > 0 ? eta * wNorm / dNorm : 1
                for (k, i) in r.enumerated() {
                    v[i] = momentum * v[i] + lr * trust * d[k]
                    w[i] -= v[i]
                }
            }
        }
        return w
    }

    /// LAMB as You et al. (2019), Algorithm 2, with Adam's bias correction and φ(z) = z.
    private func referenceLAMB(lr: Double, beta1: Double, beta2: Double, epsilon: Double, decay: Double, scale: Double) -> [Double] {
        var w = start, m = [Double](repeating: 0, count: start.count), v = m
        for (index, g) in gradientSequence.enumerated() {
            let t = Double(index + 1)
            for segment in layout.parameterSegments {
                let r = segment.range
                let lambda = segment.isAdapted ? decay : 0
                var u = [Double]()
                for i in r {
                    let gi = scale * g[i]
                    m[i] = beta1 * m[i] + (1 - beta1) * gi
                    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                    let mHat = m[i] / (1 - pow(beta1, t)), vHat = v[i] / (1 - pow(beta2, t))
                    u.append(mHat / (vHat.squareRoot() + epsilon) + lambda * w[i])
                }
                let wNorm = norm(w[r]), uNorm = norm(u[...])
                let trust = segment.isAdapted && wNorm > 0 && uNorm > 0 ? wNorm / uNorm : 1
                for (k, i) in r.enumerated() { w[i] -= lr * trust * u[k] }
            }
        }
        return w
    }

    @Test func larsMatchesTheReference() {
        var configuration = OptimizerConfiguration(kind: .lars)
        configuration.weightDecay = 0.01
        configuration.trustCoefficient = 0.02
        let result = runSwift(configuration, learningRate: 2, scale: 0.5)
        let expected = referenceLARS(lr: 2, momentum: 0.9, eta: 0.02, decay: 0.01, scale: 0.5)
        for (a, b) in zip(result, expected) { #expect(abs(a - b) < 1e-5, "\(result) vs \(expected)") }
        // The weights moved by the trust ratio, the biases by the plain rate: the update is not SGD's.
        #expect(result != runSwift(OptimizerConfiguration(kind: .momentum), learningRate: 2, scale: 0.5))
    }

    @Test func lambMatchesTheReference() {
        var configuration = OptimizerConfiguration(kind: .lamb)
        configuration.weightDecay = 0.01
        let result = runSwift(configuration, learningRate: 0.05, scale: 0.5)
        let expected = referenceLAMB(lr: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, decay: 0.01, scale: 0.5)
        for (a, b) in zip(result, expected) { #expect(abs(a - b) < 1e-5, "\(result) vs \(expected)") }
        #expect(result != runSwift(OptimizerConfiguration(kind: .adam), learningRate: 0.05, scale: 0.5))
    }

    @Test func segmentsCoverTheLayoutOnceInOrder() {
        let segments = NetworkLayout(sizes: [784, 256, 256, 10]).parameterSegments
        #expect(segments.count == 6)
        #expect(segments.first?.range.lowerBound == 0)
        #expect(segments.last?.range.upperBound == NetworkLayout(sizes: [784, 256, 256, 10]).parameterCount)
        for (a, b) in zip(segments, segments.dropFirst()) { #expect(a.range.upperBound == b.range.lowerBound) }
        #expect(segments.map(\.isAdapted) == [true, false, true, false, true, false])
    }

    @Test func lambKeepsBothMomentsForCheckpoints() {
        let optimizer = Optimizer(OptimizerConfiguration(kind: .lamb), parameterCount: 11, segments: layout.parameterSegments)
        #expect(optimizer.firstMoment.count == 11 && optimizer.secondMoment.count == 11)
        let lars = Optimizer(OptimizerConfiguration(kind: .lars), parameterCount: 11, segments: layout.parameterSegments)
        #expect(lars.firstMoment.count == 11 && lars.secondMoment.count == 0)
    }
}
