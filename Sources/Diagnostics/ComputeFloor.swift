import NeuralNet

/// The compute floor of an epoch: only the matrix products of forward and backward (per batch
/// one sgemm per layer forward, one per layer for the weight gradients, one per layer but the
/// first for the input gradients), on one thread, with nothing else.
public enum ComputeFloor {
    /// One measurement.
    public struct Result: Codable, Sendable {
        public let seconds: [Double]
        public let medianSeconds: Double
        /// Floating-point operations of one epoch's products.
        public let flops: Double
        public var gflopsPerSecond: Double { flops / medianSeconds / 1e9 }
    }

    /// Times `repeats` epochs of `steps` batches of `batchSize` through `sizes`.
    ///
    /// - Parameters:
    ///   - sizes: layer widths, e.g. `[784, 256, 256, 10]`.
    ///   - steps: batches per epoch (600 for MNIST at batch 100).
    public static func measure(sizes: [Int], batchSize: Int, steps: Int, repeats: Int) -> Result {
        setBLASThreads(1)
        let layout = MLPLayout(sizes: sizes)
        var random = RandomSource(seed: 1)
        let widest = layout.widestLayer
        let input = FloatBuffer(count: batchSize * widest)
        let activations = layout.layers.map { _ in FloatBuffer(count: batchSize * widest) }
        let delta = FloatBuffer(count: batchSize * widest)
        let previousDelta = FloatBuffer(count: batchSize * widest)
        let weights = FloatBuffer(count: layout.parameterCount)
        let gradients = FloatBuffer(count: layout.parameterCount)
        for buffer in [input, delta, weights] {
            for i in 0..<buffer.count { buffer[i] = Float(random.nextNormal(standardDeviation: 0.1)) }
        }
        var seconds: [Double] = []
        for _ in 0..<repeats {
            let start = monotonicSeconds()
            for _ in 0..<steps {
                var layerInput = UnsafePointer(input.pointer)
                for (index, layer) in layout.layers.enumerated() {
                    matrixMultiply(layerInput, .none, weights.pointer + layer.weightOffset, .none,
                                   into: activations[index].pointer, m: batchSize, n: layer.outputs, k: layer.inputs)
                    layerInput = UnsafePointer(activations[index].pointer)
                }
                for index in stride(from: layout.layers.count - 1, through: 0, by: -1) {
                    let layer = layout.layers[index]
                    let source = index == 0 ? UnsafePointer(input.pointer) : UnsafePointer(activations[index - 1].pointer)
                    matrixMultiply(source, .transposed, delta.pointer, .none,
                                   into: gradients.pointer + layer.weightOffset, m: layer.inputs, n: layer.outputs, k: batchSize)
                    if index > 0 {
                        matrixMultiply(delta.pointer, .none, weights.pointer + layer.weightOffset, .transposed,
                                       into: previousDelta.pointer, m: batchSize, n: layer.inputs, k: layer.outputs)
                    }
                }
            }
            seconds.append(monotonicSeconds() - start)
        }
        var flopsPerBatch = 0.0
        for (index, layer) in layout.layers.enumerated() {
            let products = Double(batchSize * layer.inputs * layer.outputs) * 2
            flopsPerBatch += products * (index == 0 ? 2 : 3)
        }
        return Result(seconds: seconds, medianSeconds: median(seconds), flops: flopsPerBatch * Double(steps))
    }
}

/// The median of `values` (the mean of the middle two for an even count).
public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds from CLOCK_MONOTONIC.
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
