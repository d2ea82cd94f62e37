import CElementwise
import CInstructionSets
import TestSupport
import Testing
@testable import NeuralNet

/// `pool_forward`/`pool_backward` (AVX-512 or AVX2 vectors for 2x2 windows of stride 2 where the
/// CPU has them) give the bits of the plain loops (`pool_forward_loops`/`pool_backward_loops`):
/// each vector width the CPU has (`pool_forward_at`: AVX-512, AVX2; a width the CPU lacks narrows
/// to the one it has), channel counts below, at and past a vector's 8 and 16 lanes, odd sizes
/// that drop a row and a column, values on a coarse grid so that windows hold ties (the first
/// largest in window order takes the delta), negative zeros among them.
@Suite struct PoolingVectorsTests {
    static let shapes: [ImageShape] = [
        ImageShape(height: 28, width: 28, channels: 6), ImageShape(height: 10, width: 10, channels: 16),
        ImageShape(height: 9, width: 7, channels: 1), ImageShape(height: 6, width: 8, channels: 17),
        ImageShape(height: 4, width: 4, channels: 40), ImageShape(height: 8, width: 6, channels: 8),
        ImageShape(height: 6, width: 6, channels: 3),
    ]

    @Test(arguments: shapes.indices, [Pooling.Mode.max, .average])
    func vectorsGiveTheLoopsBits(shapeIndex: Int, mode: Pooling.Mode) throws {
        let input = Self.shapes[shapeIndex]
        let pooling = try #require(Pooling(mode, input: input, window: 2, stride: 2))
        let images = 3
        var random = RandomSource(seed: UInt64(40 + shapeIndex))
        // Four values a pixel can take (ties in most windows), one of them -0.
        let grid: [Float] = [-0.0, 0.25, 0.5, -1]
        let image = (0..<(images * input.count)).map { _ in grid[Int(random.nextUnitDouble() * 4) % 4] }
        let delta = (0..<(images * pooling.output.count)).map { index in
            index % 11 == 0 ? -0.0 : Float(random.nextNormal(standardDeviation: 1))
        }
        let geometry = pooling.geometry(images: images)
        let average: Int32 = mode == .average ? 1 : 0
        var pooled = [Float](repeating: .nan, count: images * pooling.output.count), pooledByLoops = pooled
        var imageDelta = [Float](repeating: .nan, count: images * input.count), imageDeltaByLoops = imageDelta
        pool_forward_loops(image, &pooledByLoops, geometry, average)
        pool_backward_loops(image, delta, &imageDeltaByLoops, geometry, average)
        // The dispatched path (the CPU's widest, capped by MNIST_MPI_MAX_ISA), then each width.
        for (name, level) in [("dispatched", -1), ("AVX-512", Int32(ISA_AVX512.rawValue)), ("AVX2", Int32(ISA_AVX2.rawValue))] {
            pooled = pooled.map { _ in .nan }
            imageDelta = imageDelta.map { _ in .nan }
            if level < 0 {
                pool_forward(image, &pooled, geometry, average)
                pool_backward(image, delta, &imageDelta, geometry, average)
            } else {
                pool_forward_at(level, image, &pooled, geometry, average)
                pool_backward_at(level, image, delta, &imageDelta, geometry, average)
            }
            #expect(firstDifference(bytes(pooled), bytes(pooledByLoops)) == "identical", "\(name) \(input) \(mode) forward")
            #expect(firstDifference(bytes(imageDelta), bytes(imageDeltaByLoops)) == "identical", "\(name) \(input) \(mode) backward")
        }
        // The loops' backward sends each delta to one input of its window (max) or all four (average).
        let nonzero = imageDeltaByLoops.filter { $0 != 0 }.count
        #expect(nonzero > 0 && nonzero <= (mode == .max ? 1 : 4) * delta.count)
    }
}

/// The floats' bytes, for TestSupport's `firstDifference`.
private func bytes(_ values: [Float]) -> [UInt8] {
    values.withUnsafeBytes { Array($0) }
}
