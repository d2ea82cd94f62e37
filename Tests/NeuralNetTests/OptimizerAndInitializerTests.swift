import Testing
@testable import NeuralNet

@Suite struct OptimizerAndInitializerTests {
    @Test func sgdStepByHand() {
        let parameters = FloatBuffer(count: 3)
        parameters.assign([1, -2, 0.5])
        let gradients = FloatBuffer(count: 3)
        gradients.assign([4, 2, -1])
        // lr 0.1, gradients summed over 2 ranks -> scale 1/2: p - 0.05 g
        StochasticGradientDescent(learningRate: 0.1).step(parameters: parameters, gradients: gradients, gradientScale: 0.5)
        let expected: [Float] = [0.8, -2.1, 0.55]
        for (got, want) in zip(parameters.array, expected) { #expect(abs(got - want) < 1e-6) }
    }

    @Test(arguments: [(Initializer.normal(standardDeviation: 1), 1.0),
                      (.xavier, (2.0 / (300 + 200)).squareRoot()),
                      (.he, (2.0 / 300).squareRoot())])
    func initialWeightsHaveTheSchemesSpread(initializer: Initializer, deviation: Double) {
        let layout = MLPLayout(sizes: [300, 200])
        let model = MLP(layout: layout, activation: .relu)
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
