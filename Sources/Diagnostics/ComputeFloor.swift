import NeuralNet

/// The compute floor of an epoch: only the matrix products of forward and backward (per batch
/// one product per layer forward, one per layer for the weight gradients, one per layer but the
/// first for the input gradients), on one thread, with nothing else: by OpenBLAS's sgemm, or by
/// oneDNN's primitives in float32 or bfloat16 (float32 results).
public enum ComputeFloor {
    /// One measurement.
    public struct Result: Codable, Sendable {
        public let seconds: [Double]
        public let medianSeconds: Double
        /// Each product's share of an epoch (the median over the repeats), in step order.
        public let products: [ProductTime]
        /// Floating-point operations of one epoch's products.
        public let flops: Double
        /// oneDNN's implementations (empty for OpenBLAS).
        public let implementations: [String]
        public var gflopsPerSecond: Double { flops / medianSeconds / 1e9 }
    }

    /// One product's time in an epoch: its seconds summed over the epoch's steps.
    public struct ProductTime: Codable, Sendable {
        /// E.g. "layer 0 forward", "layer 2 weight gradient", "layer 1 input gradient".
        public let name: String
        /// C[m, n] = op(A)[m, k] · op(B)[k, n].
        public let m, n, k: Int
        public let seconds: Double
    }

    /// The shape of one product of a step: C[m, n] = op(A)[m, k] · op(B)[k, n].
    private struct Product {
        let name: String
        let m, n, k: Int
        let transposeA, transposeB: Transpose
    }

    /// Times `repeats` epochs of `steps` batches of `batchSize` through `sizes`.
    ///
    /// - Parameters:
    ///   - sizes: layer widths, e.g. `[784, 256, 256, 10]`.
    ///   - steps: batches per epoch (600 for MNIST at batch 100).
    ///   - kernels: the library and precision of the products.
    /// - Throws: `KernelError` when oneDNN cannot make a primitive.
    public static func measure(
        sizes: [Int], batchSize: Int, steps: Int, repeats: Int, kernels: ComputeKernels = .openblas
    ) throws -> Result {
        setBLASThreads(1)
        if kernels.library == .onednn { OneDNN.setThreads(1) }
        let layout = NetworkLayout(sizes: sizes)
        var products: [Product] = []
        for (index, layer) in layout.layers.enumerated() {
            products.append(Product(name: "layer \(index) forward", m: batchSize, n: layer.outputs, k: layer.inputs,
                                    transposeA: .none, transposeB: .none))
        }
        for (index, layer) in layout.layers.enumerated().reversed() {
            products.append(Product(name: "layer \(index) weight gradient", m: layer.inputs, n: layer.outputs, k: batchSize,
                                    transposeA: .transposed, transposeB: .none))
            if index > 0 {
                products.append(Product(name: "layer \(index) input gradient", m: batchSize, n: layer.inputs, k: layer.outputs,
                                        transposeA: .none, transposeB: .transposed))
            }
        }
        // Every product reads its own A and B and writes its own C, as in training (where the
        // weights of each layer and each layer's activations are distinct memory).
        let largest = products.map { max($0.m * $0.k, $0.k * $0.n) }.max() ?? 0
        var random = RandomSource(seed: 1)
        let operands = products.map { _ in (FloatBuffer(count: largest), FloatBuffer(count: largest)) }
        for (a, b) in operands {
            for i in 0..<largest {
                a[i] = Float(random.nextNormal(standardDeviation: 0.1))
                b[i] = Float(random.nextNormal(standardDeviation: 0.1))
            }
        }
        let outputs = products.map { FloatBuffer(count: $0.m * $0.n) }
        /// Runs product `index` of the step.
        let run: (Int) -> Void
        var implementations: [String] = []
        switch kernels.library {
        case .openblas:
            run = { index in
                let product = products[index]
                matrixMultiply(operands[index].0.pointer, product.transposeA, operands[index].1.pointer, product.transposeB,
                               into: outputs[index].pointer, m: product.m, n: product.n, k: product.k)
            }
        case .onednn:
            let bf16 = kernels.precision == .bf16
            let type: OneDNNMatmul.ElementType = bf16 ? .bfloat16 : .float32
            let matmuls = try products.map {
                try OneDNNMatmul(m: $0.m, n: $0.n, k: $0.k, transposeA: $0.transposeA, transposeB: $0.transposeB,
                                 a: type, b: type, c: .float32)
            }
            implementations = matmuls.implementationNames
            let halves: [(BFloat16Buffer, BFloat16Buffer)] = bf16 ? operands.map { a, b in
                let pair = (BFloat16Buffer(count: largest), BFloat16Buffer(count: largest))
                pair.0.assign(roundingFrom: a.pointer, count: largest)
                pair.1.assign(roundingFrom: b.pointer, count: largest)
                return pair
            } : []
            let sources: [(UnsafeRawPointer, UnsafeRawPointer)] = bf16
                ? halves.map { (UnsafeRawPointer($0.0.pointer), UnsafeRawPointer($0.1.pointer)) }
                : operands.map { (UnsafeRawPointer($0.0.pointer), UnsafeRawPointer($0.1.pointer)) }
            run = { index in
                withExtendedLifetime((operands, halves)) {
                    matmuls[index].run(a: sources[index].0, b: sources[index].1, c: outputs[index].pointer)
                }
            }
        }
        var seconds: [Double] = []
        // [repeat][product]: each product's seconds in that epoch (two clock reads a product,
        // ~50 ns against products of 20-600 µs).
        var productSeconds: [[Double]] = []
        for _ in 0..<repeats {
            var each = [Double](repeating: 0, count: products.count)
            let start = monotonicSeconds()
            for _ in 0..<steps {
                for index in products.indices {
                    let begin = monotonicSeconds()
                    run(index)
                    each[index] += monotonicSeconds() - begin
                }
            }
            seconds.append(monotonicSeconds() - start)
            productSeconds.append(each)
        }
        let flopsPerBatch = products.reduce(0.0) { $0 + 2 * Double($1.m * $1.n * $1.k) }
        let times = products.enumerated().map { index, product in
            ProductTime(name: product.name, m: product.m, n: product.n, k: product.k,
                        seconds: median(productSeconds.map { $0[index] }))
        }
        return Result(seconds: seconds, medianSeconds: median(seconds), products: times, flops: flopsPerBatch * Double(steps),
                      implementations: implementations)
    }
}

/// The median of `values` (the mean of the middle two for an even count).
public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
