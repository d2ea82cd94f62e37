import NeuralNet

/// The compute floor of an epoch of a model with convolution or pooling layers: oneDNN's own
/// primitives alone, float32, one thread. Per batch, in step order: every layer's forward
/// (convolutions and dense layers with the bias and the activation fused, as the trainer runs
/// them; oneDNN's pooling), then from the last layer back its weight gradient (convolution and
/// dense) and its input gradient (all but the first layer). What the trainer adds beside these
/// (the activations' derivatives, the bias sums, the loss, its own fixed-order pooling, batch
/// assembly) is not in it: `compute / floor` is what that costs.
public enum PrimitiveFloor {
    /// One primitive of a step, and the buffers it reads and writes.
    private struct Operation {
        let name: String
        /// For a convolution, the equivalent product's `[m, n] = [m, k] · [k, n]`; for a
        /// pooling, m = pooled positions of the batch, n = channels, k = the window's pixels.
        let m, n, k: Int
        let flops: Double
        let run: () -> Void
    }

    /// Times `repeats` epochs of `steps` batches of `batchSize` images through `layout`.
    ///
    /// - Parameters:
    ///   - layout: a model on images (`NetworkLayout(input:layers:)`); every layer's buffers are
    ///     `[batchSize, layer.inputs]` in and `[batchSize, layer.outputs]` out, channels last.
    ///   - activation: fused after the bias of every activated layer.
    ///   - steps: batches per epoch (300 for one of 2 ranks at a global batch of 200).
    /// - Throws: `KernelError` when oneDNN is missing or has no primitive for a layer.
    public static func measure(
        layout: NetworkLayout, activation: Activation, batchSize: Int, steps: Int, repeats: Int
    ) throws -> ComputeFloor.Result {
        // Loads oneDNN (a thread count set before that would not reach its OpenMP).
        _ = try ComputeKernels.resolve(library: .onednn, precision: .fp32)
        OneDNN.setThreads(1)
        var random = RandomSource(seed: 1)
        func filled(_ count: Int) -> FloatBuffer {
            let buffer = FloatBuffer(count: count)
            for i in 0..<count { buffer[i] = Float(random.nextNormal(standardDeviation: 0.1)) }
            return buffer
        }
        // activations[i]: layer i's input [batchSize, inputs]; deltas[i] likewise its gradient.
        let activations = [filled(batchSize * layout.inputSize)] + layout.layers.map { FloatBuffer(count: batchSize * $0.outputs) }
        let deltas = [FloatBuffer(count: batchSize * layout.inputSize)] + layout.layers.map { filled(batchSize * $0.outputs) }
        let parameters = filled(layout.parameterCount)
        let gradients = FloatBuffer(count: layout.parameterCount)
        var forward: [Operation] = []
        var backward: [Operation] = []
        var implementations: Set<String> = []
        // Kept alive for the closures, which hold unowned pointers into them.
        var primitives: [AnyObject] = []
        for (index, layer) in layout.layers.enumerated() {
            let input = activations[index].pointer, output = activations[index + 1].pointer
            let inputDelta = deltas[index].pointer, delta = deltas[index + 1].pointer
            let weights = parameters.pointer + layer.weightOffset, bias = parameters.pointer + layer.biasOffset
            let gradient = gradients.pointer + layer.weightOffset
            let fused = layer.activated ? activation : nil
            switch layer.kind {
            case .convolution(let convolution):
                let primitive = try OneDNNConvolution(convolution, images: batchSize, activation: fused, training: true,
                                                      inputGradient: index > 0)
                primitives.append(primitive)
                implementations.formUnion(primitive.implementation.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                let m = batchSize * convolution.output.positions, n = convolution.output.channels, k = convolution.windowCount
                let flops = 2 * Double(m) * Double(n) * Double(k)
                forward.append(Operation(name: "layer \(index) forward", m: m, n: n, k: k, flops: flops) {
                    primitive.forward(input: input, weights: weights, bias: bias, output: output)
                })
                var back = [Operation(name: "layer \(index) weight gradient", m: k, n: n, k: m, flops: flops) {
                    primitive.weightGradient(input: input, delta: delta, into: gradient, adding: false)
                }]
                if index > 0 {
                    back.append(Operation(name: "layer \(index) input gradient", m: m, n: k, k: n, flops: flops) {
                        primitive.inputGradient(delta: delta, weights: weights, into: inputDelta)
                    })
                }
                backward = back + backward
            case .pooling(let pooling):
                let primitive = try OneDNNPooling(pooling, images: batchSize, training: true)
                primitives.append(primitive)
                implementations.formUnion(primitive.implementation.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                let m = batchSize * pooling.output.positions, n = pooling.output.channels, k = pooling.window * pooling.window
                forward.append(Operation(name: "layer \(index) forward", m: m, n: n, k: k, flops: 0) {
                    primitive.forward(input: input, output: output)
                })
                if index > 0 {
                    backward.insert(Operation(name: "layer \(index) input gradient", m: m, n: n, k: k, flops: 0) {
                        primitive.backward(delta: delta, into: inputDelta)
                    }, at: 0)
                }
            case .dense:
                let (m, n, k) = (batchSize, layer.outputs, layer.inputs)
                let flops = 2 * Double(m) * Double(n) * Double(k)
                let ahead = try OneDNNMatmul(m: m, n: n, k: k, a: .float32, b: .float32, c: .float32, withBias: true, activation: fused)
                let weightProduct = try OneDNNMatmul(m: k, n: n, k: m, transposeA: .transposed, a: .float32, b: .float32, c: .float32)
                let inputProduct = try OneDNNMatmul(m: m, n: k, k: n, transposeB: .transposed, a: .float32, b: .float32, c: .float32)
                primitives += [ahead, weightProduct, inputProduct]
                implementations.formUnion([ahead, weightProduct, inputProduct].implementationNames)
                forward.append(Operation(name: "layer \(index) forward", m: m, n: n, k: k, flops: flops) {
                    ahead.run(a: input, b: weights, bias: bias, c: output)
                })
                var back = [Operation(name: "layer \(index) weight gradient", m: k, n: n, k: m, flops: flops) {
                    weightProduct.run(a: input, b: delta, c: gradient)
                }]
                if index > 0 {
                    back.append(Operation(name: "layer \(index) input gradient", m: m, n: k, k: n, flops: flops) {
                        inputProduct.run(a: delta, b: weights, c: inputDelta)
                    })
                }
                backward = back + backward
            }
        }
        let operations = forward + backward
        var seconds: [Double] = []
        var operationSeconds: [[Double]] = []
        withExtendedLifetime((primitives, activations, deltas, parameters, gradients)) {
            for _ in 0..<repeats {
                var each = [Double](repeating: 0, count: operations.count)
                let start = monotonicSeconds()
                for _ in 0..<steps {
                    for index in operations.indices {
                        let begin = monotonicSeconds()
                        operations[index].run()
                        each[index] += monotonicSeconds() - begin
                    }
                }
                seconds.append(monotonicSeconds() - start)
                operationSeconds.append(each)
            }
        }
        let times = operations.enumerated().map { index, operation in
            ComputeFloor.ProductTime(name: operation.name, m: operation.m, n: operation.n, k: operation.k,
                                     seconds: median(operationSeconds.map { $0[index] }))
        }
        let flops = operations.reduce(0.0) { $0 + $1.flops } * Double(steps)
        return ComputeFloor.Result(seconds: seconds, medianSeconds: median(seconds), products: times, flops: flops,
                                   implementations: implementations.sorted())
    }
}
