import Foundation
import Testing
@testable import NeuralNet

@Suite struct OptimizerAndInitializerTests {
    /// Runs `optimizer` over the gradient sequence `steps` from parameters `start`.
    private func run(_ configuration: OptimizerConfiguration, start: [Float], steps: [[Float]],
                     learningRate: Float, gradientScale: Float = 1) -> [Float] {
        let parameters = FloatBuffer(count: start.count)
        parameters.assign(start)
        let gradients = FloatBuffer(count: start.count)
        let optimizer = Optimizer(configuration, parameterCount: start.count)
        for step in steps {
            gradients.assign(step)
            optimizer.step(parameters: parameters, gradients: gradients, gradientScale: gradientScale,
                           learningRate: learningRate)
        }
        return parameters.array
    }

    private func expectClose(_ got: [Float], _ want: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, "\(got) vs \(want)", sourceLocation: sourceLocation)
        for (g, w) in zip(got, want) { #expect(abs(Double(g) - w) < 1e-5, "\(got) vs \(want)", sourceLocation: sourceLocation) }
    }

    @Test func sgdStepByHand() {
        // lr 0.1, gradients summed over 2 ranks -> scale 1/2: p - 0.05 g
        let got = run(OptimizerConfiguration(kind: .sgd), start: [1, -2, 0.5], steps: [[4, 2, -1]],
                      learningRate: 0.1, gradientScale: 0.5)
        expectClose(got, [0.8, -2.1, 0.55])
    }

    @Test func sgdWeightDecayByHand() {
        var configuration = OptimizerConfiguration(kind: .sgd)
        configuration.weightDecay = 0.1
        // g = 0 + 0.1 * p; p = 1 - 0.5 * 0.1 = 0.95, then 0.95 - 0.5 * 0.095 = 0.9025
        expectClose(run(configuration, start: [1], steps: [[0], [0]], learningRate: 0.5), [0.9025])
    }

    @Test func momentumByHand() {
        // mu 0.9, lr 0.1, g = 1 twice: v = 1, p = 0.9; v = 1.9, p = 0.9 - 0.19 = 0.71
        expectClose(run(OptimizerConfiguration(kind: .momentum), start: [1], steps: [[1], [1]], learningRate: 0.1), [0.71])
        // Nesterov: v = 1, p = 1 - 0.1 (1 + 0.9) = 0.81; v = 1.9, p = 0.81 - 0.1 (1 + 1.71) = 0.539
        var nesterov = OptimizerConfiguration(kind: .momentum)
        nesterov.nesterov = true
        expectClose(run(nesterov, start: [1], steps: [[1], [1]], learningRate: 0.1), [0.539])
    }

    @Test func adamByHand() {
        // lr 0.1, beta 0.9/0.999, g = 0.5 then -1:
        // t=1: m = 0.05, v = 0.00025, m^ = 0.5, v^ = 0.25, p = 1 - 0.1 * 0.5 / 0.5 = 0.9
        // t=2: m = -0.055, v = 0.00124975, m^ = -0.2894737, v^ = 0.6251876,
        //      p = 0.9 + 0.1 * 0.2894737 / 0.7906880 = 0.9366104
        let got = run(OptimizerConfiguration(kind: .adam), start: [1], steps: [[0.5], [-1]], learningRate: 0.1)
        expectClose(got, [0.9366104])
        // The first step of Adam moves every parameter by lr, whatever the gradient's size.
        expectClose(run(OptimizerConfiguration(kind: .adam), start: [0, 0], steps: [[1e-3, -50]], learningRate: 0.01),
                    [-0.01, 0.01])
    }

    @Test func adamVectorLanesAndTailMatchADoubleReference() {
        // 19 parameters: two 8-lane blocks and a tail of 3, with weight decay, three steps.
        var random = RandomSource(seed: 4)
        let start = (0..<19).map { _ in Float(random.nextNormal()) }
        let steps = (0..<3).map { _ in (0..<19).map { _ in Float(random.nextNormal()) } }
        var configuration = OptimizerConfiguration(kind: .adam)
        configuration.weightDecay = 0.01
        let got = run(configuration, start: start, steps: steps, learningRate: 0.05, gradientScale: 0.5)
        var p = start.map(Double.init), m = [Double](repeating: 0, count: 19), v = m
        for (t, step) in steps.enumerated() {
            for i in 0..<19 {
                let g = 0.5 * Double(step[i]) + 0.01 * p[i]
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                let mHat = m[i] / (1 - pow(0.9, Double(t + 1))), vHat = v[i] / (1 - pow(0.999, Double(t + 1)))
                p[i] -= 0.05 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        expectClose(got, p)
    }

    @Test(arguments: [(Initializer.normal(standardDeviation: 1), 1.0),
                      (.xavier, (2.0 / (300 + 200)).squareRoot()),
                      (.he, (2.0 / 300).squareRoot())])
    func initialWeightsHaveTheSchemesSpread(initializer: Initializer, deviation: Double) {
        let layout = NetworkLayout(sizes: [300, 200])
        let model = Network(layout: layout, activation: .relu)
        var random = RandomSource(seed: 11)
        model.initialize(initializer, random: &random)
        let weights = model.parameters.array[0..<(300 * 200)].map(Double.init)
        let mean = weights.reduce(0, +) / Double(weights.count)
        let std = (weights.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(weights.count)).squareRoot()
        #expect(abs(mean) < 0.02 * deviation)
        #expect(abs(std - deviation) < 0.02 * deviation)
    }

    @Test func sameSeedSameStreamDifferentSeedDifferentStream() {
        var a = RandomSource(seed: 5), b = RandomSource(seed: 5), c = RandomSource(seed: 6)
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
        var d = RandomSource(seed: 5, stream: 1)
        #expect(first != (0..<8).map { _ in d.next() })
    }
}
