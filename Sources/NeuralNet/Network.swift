/// A feed-forward network (a multilayer perceptron, or convolutions and pooling before dense
/// layers) with one hidden activation and softmax output, its parameters in one flat buffer
/// and its gradients in another of the same layout.
///
/// One allreduce of `gradients` therefore moves all of them.
public final class Network {
    public let layout: NetworkLayout
    public let activation: Activation
    /// `[layout.parameterCount]` all weights and biases.
    public let parameters: FloatBuffer
    /// `[layout.parameterCount]` ∂loss/∂parameters of the last `backward`.
    public let gradients: FloatBuffer

    /// A network with all parameters zero; call `initialize(_:random:)` or fill `parameters`.
    ///
    /// - Parameter gradients: where to write gradients (`[parameterCount]`, e.g. a view into a
    ///   larger buffer that also carries control values through the allreduce); nil allocates.
    public init(layout: NetworkLayout, activation: Activation, gradients: FloatBuffer? = nil) {
        self.layout = layout
        self.activation = activation
        parameters = FloatBuffer(count: layout.parameterCount)
        if let gradients {
            precondition(gradients.count == layout.parameterCount, "gradient buffer size")
            self.gradients = gradients
        } else {
            self.gradients = FloatBuffer(count: layout.parameterCount)
        }
    }

    /// Draws every layer's weights and biases with `initializer`.
    public func initialize(_ initializer: Initializer, random: inout RandomSource) {
        for layer in layout.layers {
            let weightDeviation = initializer.weightStandardDeviation(
                fanIn: layer.fans.fanIn, fanOut: layer.fans.fanOut)
            for i in 0..<layer.weightCount {
                parameters[layer.weightOffset + i] = Float(
                    random.nextNormal(standardDeviation: weightDeviation))
            }
            let biasDeviation = initializer.biasStandardDeviation
            for i in 0..<layer.biasCount {
                parameters[layer.biasOffset + i] =
                    biasDeviation == 0 ? 0 : Float(random.nextNormal(standardDeviation: biasDeviation))
            }
        }
    }

    /// Computes the logits of a batch: one loop over the layers through the workspace's kernels.
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]` row-major; must stay valid until the batch's `backward`.
    ///   - rows: the batch size, at most `workspace.capacity`.
    ///   - workspace: holds every layer's activations afterwards (needed by `backward`).
    /// - Returns: `[rows, outputSize]` logits, inside `workspace`.
    @discardableResult
    public func forward(
        input: UnsafePointer<Float>, rows: Int, workspace: NetworkWorkspace
    ) -> UnsafeMutablePointer<Float> {
        precondition(rows <= workspace.capacity, "batch of \(rows) exceeds workspace \(workspace.capacity)")
        let kernels = workspace.layerKernels
        kernels.beginForward(input: input, parameters: parameters.pointer, rows: rows)
        for index in layout.layers.indices { kernels.forward(layer: index) }
        workspace.pendingBackwardRows = nil
        return workspace.activations[layout.layers.count - 1].pointer
    }

    /// The first half of a training step: the forward pass and the batch's mean softmax
    /// cross-entropy, whose gradient with respect to the logits `backward` starts from.
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]` row-major; must stay valid until `backward` returns.
    ///   - labels: `[rows]` class indices.
    ///   - rows: the batch size, at most `workspace.capacity`.
    ///   - workspace: a training workspace.
    /// - Returns: the batch's mean softmax cross-entropy.
    public func forwardAndLoss(
        input: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, workspace: NetworkWorkspace
    ) -> Double {
        precondition(workspace.training, "forwardAndLoss needs a training workspace")
        let logits = forward(input: input, rows: rows, workspace: workspace)
        let loss = softmaxCrossEntropy(
            logits: logits, labels: labels, rows: rows, classes: layout.outputSize, gradient: workspace.deltaA.pointer)
        workspace.pendingBackwardRows = rows
        return loss
    }

    /// The second half of a training step: fills `gradients` with ∂(mean loss)/∂parameters of
    /// the batch the last `forwardAndLoss` saw. One loop over the layers, last first.
    ///
    /// - Parameters:
    ///   - workspace: the workspace `forwardAndLoss` used.
    ///   - afterLayer: called with layer `l` as soon as its weight and bias gradients are final
    ///     (last layer first), so their allreduce can start while earlier layers are computed.
    public func backward(workspace: NetworkWorkspace, afterLayer: (Int) throws -> Void) rethrows {
        try backward(workspace: workspace, into: gradients.pointer, adding: false, afterLayer: afterLayer)
    }

    /// `backward`, writing the gradients to `destination` instead of `gradients` (e.g. a
    /// micro-batch's own slot of a summation tree), or adding them to what it holds.
    ///
    /// - Parameters:
    ///   - workspace: the workspace `forwardAndLoss` used.
    ///   - destination: `[layout.parameterCount]` (same layout as `gradients`).
    ///   - adding: `destination[i] += gradient[i]`, each gradient finished before its addition
    ///     (the weight-gradient products add as they store; `backwardAddsExactly` says whether
    ///     that equals a separate addition bit for bit); false overwrites.
    ///   - afterLayer: called with layer `l` as soon as its gradients are final (last layer first).
    public func backward(
        workspace: NetworkWorkspace, into destination: UnsafeMutablePointer<Float>, adding: Bool,
        afterLayer: (Int) throws -> Void
    ) rethrows {
        guard let rows = workspace.pendingBackwardRows else { preconditionFailure("backward needs forwardAndLoss first") }
        workspace.pendingBackwardRows = nil
        let kernels = workspace.layerKernels
        var delta = workspace.deltaA.pointer
        var previousDelta = workspace.deltaB.pointer
        kernels.beginBackward(outputDelta: delta)
        for index in stride(from: layout.layers.count - 1, through: 0, by: -1) {
            let layer = layout.layers[index]
            if layer.biasCount > 0 {
                kernels.weightGradient(layer: index, delta: delta, into: destination + layer.weightOffset, adding: adding)
                // ∂b = Σ_rows delta, over every position of a convolution (float32 in every precision)
                biasGradient(
                    delta, rows: rows * layer.productRowsPerImage, count: layer.biasCount, workspace: workspace,
                    into: destination + layer.biasOffset, adding: adding)
            }
            try afterLayer(index)
            guard index > 0 else { break }
            kernels.inputGradient(layer: index, delta: delta, into: previousDelta)
            swap(&delta, &previousDelta)
        }
    }

    /// `∂b [count] = Σ_rows delta` (column sums of `delta [rows, count]`), written to `bias` or,
    /// with `adding`, summed first and then added to what it holds.
    func biasGradient(
        _ delta: UnsafePointer<Float>, rows: Int, count: Int, workspace: NetworkWorkspace, into bias: UnsafeMutablePointer<Float>,
        adding: Bool
    ) {
        let ones = UnsafePointer(workspace.ones.pointer)
        if adding {
            let sums = workspace.biasGradient.pointer
            columnSums(delta, rows: rows, columns: count, ones: ones, into: sums)
            for i in 0..<count { bias[i] += sums[i] }
        } else {
            columnSums(delta, rows: rows, columns: count, ones: ones, into: bias)
        }
    }

    /// Whether `backward(adding: true)` gives, bit for bit, the sum of what it held and the
    /// gradients `backward(adding: false)` writes, for batches of `rows` through `workspace`'s
    /// kernels: the weight-gradient products add as they store, and whether they finish the
    /// product before the addition is the library's choice, checked here on random batches.
    /// Uses the workspace's buffers (call before training, never between a forward and its
    /// backward).
    public func backwardAddsExactly(workspace: NetworkWorkspace, rows: Int) -> Bool {
        let count = layout.parameterCount
        var random = RandomSource(seed: 0x5355_4D53, stream: UInt64(rows))
        let inputs = FloatBuffer(count: 2 * rows * layout.inputSize)
        for i in 0..<inputs.count { inputs[i] = Float(random.nextUnitDouble()) }
        let labels = (0..<(2 * rows)).map { _ in Int32(random.next() % UInt64(layout.outputSize)) }
        let first = FloatBuffer(count: count), second = FloatBuffer(count: count), added = FloatBuffer(count: count)
        labels.withUnsafeBufferPointer { labels in
            guard let labels = labels.baseAddress else { return }
            for (batch, destination, adding) in [(0, first, false), (1, second, false), (1, added, true)] {
                if adding { added.pointer.update(from: first.pointer, count: count) }
                _ = forwardAndLoss(
                    input: inputs.pointer + batch * rows * layout.inputSize, labels: labels + batch * rows, rows: rows,
                    workspace: workspace)
                backward(workspace: workspace, into: destination.pointer, adding: adding, afterLayer: { _ in })
            }
        }
        return (0..<count).allSatisfy { (first[$0] + second[$0]).bitPattern == added[$0].bitPattern }
    }

    /// `forwardAndLoss` then `backward` without a per-layer callback.
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]`; labels: `[rows]`.
    /// - Returns: the batch's mean softmax cross-entropy.
    @discardableResult
    public func lossAndGradients(
        input: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, workspace: NetworkWorkspace
    ) -> Double {
        let loss = forwardAndLoss(input: input, labels: labels, rows: rows, workspace: workspace)
        backward(workspace: workspace, afterLayer: { _ in })
        return loss
    }

    /// The predicted class of each row (the largest logit).
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]`.
    ///   - predictions: `[rows]`, overwritten.
    public func predict(
        input: UnsafePointer<Float>, rows: Int, workspace: NetworkWorkspace,
        into predictions: UnsafeMutablePointer<Int32>
    ) {
        let logits = forward(input: input, rows: rows, workspace: workspace)
        let classes = layout.outputSize
        for row in 0..<rows {
            let line = logits + row * classes
            var best = 0
            for j in 1..<classes where line[j] > line[best] { best = j }
            predictions[row] = Int32(best)
        }
    }
}
