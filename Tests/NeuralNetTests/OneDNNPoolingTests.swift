import Testing
import TestSupport
@testable import NeuralNet

/// oneDNN's pooling primitives (timed by `bench floor --model` as the floor of the trainer's
/// own pooling loops) compute what the trainer's loops compute: max pooling bit for bit (but the sums
/// of overlapping windows' deltas), average pooling within rounding.
@Suite(.enabled(if: OneDNN.isAvailable, "oneDNN (libdnnl.so.2) does not load here"))
struct OneDNNPoolingTests {
    /// (mode, input, window, stride): LeNet-5's 2x2, an odd size that drops the last column,
    /// and overlapping 3x3 windows 2 apart (a pixel in two windows gets both deltas).
    static let cases: [(Pooling.Mode, ImageShape, Int, Int)] = [
        (.max, ImageShape(height: 28, width: 28, channels: 6), 2, 2),
        (.max, ImageShape(height: 9, width: 7, channels: 3), 2, 2),
        (.max, ImageShape(height: 9, width: 9, channels: 5), 3, 2),
        (.average, ImageShape(height: 10, width: 10, channels: 16), 2, 2),
        (.average, ImageShape(height: 9, width: 9, channels: 5), 3, 2),
    ]

    @Test(arguments: cases.indices)
    func matchesTheTrainersPooling(caseIndex: Int) throws {
        let (mode, input, window, stride) = Self.cases[caseIndex]
        let pooling = try #require(Pooling(mode, input: input, window: window, stride: stride))
        let images = 3
        var random = RandomSource(seed: UInt64(10 + caseIndex))
        // Distinct values, so a max window has one largest input in either implementation.
        let image = (0..<(images * input.count)).map { _ in Float(random.nextUnitDouble()) }
        let delta = (0..<(images * pooling.output.count)).map { _ in Float(random.nextNormal(standardDeviation: 1)) }
        let layout = try NetworkLayout(input: input, layers: [.pooling(mode, window: window, stride: stride), .dense(outputs: 2)])
        let passes = ImageLayerPasses(layout: layout, capacity: images, training: true)
        var pooledByLoops = [Float](repeating: 0, count: images * pooling.output.count)
        var pooledByOneDNN = pooledByLoops
        var deltaByLoops = [Float](repeating: 0, count: images * input.count)
        var deltaByOneDNN = [Float](repeating: .nan, count: images * input.count)
        passes.pool(pooling, image: image, into: &pooledByLoops, rows: images)
        passes.poolBackward(pooling, image: image, delta: delta, into: &deltaByLoops, rows: images)
        let primitive = try OneDNNPooling(pooling, images: images, training: true)
        primitive.forward(input: image, output: &pooledByOneDNN)
        primitive.backward(delta: delta, into: &deltaByOneDNN)
        if mode == .max {
            #expect(pooledByOneDNN == pooledByLoops)
            if window <= stride {
                #expect(deltaByOneDNN == deltaByLoops)
            } else {
                // A pixel in two windows gets two deltas, added in another order.
                #expect(worstRelativeError(deltaByOneDNN, deltaByLoops) < 1e-6)
            }
        } else {
            #expect(worstRelativeError(pooledByOneDNN, pooledByLoops) < 1e-6)
            #expect(worstRelativeError(deltaByOneDNN, deltaByLoops) < 1e-6)
        }
        // Not all zeros (the comparison above would pass on two untouched buffers).
        #expect(pooledByLoops.contains { $0 != 0 } && deltaByLoops.contains { $0 != 0 })
    }
}
