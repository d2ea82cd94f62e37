/// A multilayer perceptron: dense layers with a hidden activation and softmax output, its
/// parameters in one flat buffer and its gradients in another of the same layout.
///
/// One allreduce of `gradients` therefore moves all of them.
public final class MLP {
    public let layout: MLPLayout
    public let activation: Activation
    /// `[layout.parameterCount]` all weights and biases.
    public let parameters: FloatBuffer
    /// `[layout.parameterCount]` ∂loss/∂parameters of the last `backward`.
    public let gradients: FloatBuffer

    /// A network with all parameters zero; call `initialize(_:random:)` or fill `parameters`.
    ///
    /// - Parameter gradients: where to write gradients (`[parameterCount]`, e.g. a view into a
    ///   larger buffer that also carries control values through the allreduce); nil allocates.
    public init(layout: MLPLayout, activation: Activation, gradients: FloatBuffer? = nil) {
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
                fanIn: layer.inputs, fanOut: layer.outputs)
            for i in 0..<(layer.inputs * layer.outputs) {
                parameters[layer.weightOffset + i] = Float(
                    random.nextNormal(standardDeviation: weightDeviation))
            }
            let biasDeviation = initializer.biasStandardDeviation
            for i in 0..<layer.outputs {
                parameters[layer.biasOffset + i] =
                    biasDeviation == 0 ? 0 : Float(random.nextNormal(standardDeviation: biasDeviation))
            }
        }
    }

    /// Computes the logits of a batch.
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]` row-major.
    ///   - rows: the batch size, at most `workspace.capacity`.
    ///   - workspace: holds every layer's activations afterwards (needed by `backward`).
    /// - Returns: `[rows, outputSize]` logits, inside `workspace`.
    @discardableResult
    public func forward(
        input: UnsafePointer<Float>, rows: Int, workspace: MLPWorkspace
    ) -> UnsafeMutablePointer<Float> {
        precondition(rows <= workspace.capacity, "batch of \(rows) exceeds workspace \(workspace.capacity)")
        if let kernels = workspace.oneDNN {
            return forward(input: input, rows: rows, workspace: workspace, kernels: kernels)
        }
        var layerInput = input
        let weights = UnsafePointer(parameters.pointer)
        for (index, layer) in layout.layers.enumerated() {
            let output = workspace.activations[index].pointer
            matrixMultiply(
                layerInput, .none, weights + layer.weightOffset, .none, into: output,
                m: rows, n: layer.outputs, k: layer.inputs)
            let bias = weights + layer.biasOffset
            if index == layout.layers.count - 1 {
                addBias(output, bias: bias, rows: rows, columns: layer.outputs)
            } else {
                activation.addBiasAndApply(output, bias: bias, rows: rows, columns: layer.outputs)
            }
            layerInput = UnsafePointer(output)
        }
        return workspace.activations[layout.layers.count - 1].pointer
    }

    /// Forward and backward pass of one batch: fills `gradients` with ∂(mean loss)/∂parameters.
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]` row-major.
    ///   - labels: `[rows]` class indices.
    ///   - rows: the batch size, at most `workspace.capacity`.
    ///   - workspace: scratch space for activations and deltas.
    ///   - afterLayer: called with layer `l` as soon as its weight and bias gradients are final
    ///     (last layer first), so their allreduce can start while earlier layers are computed.
    /// - Returns: the batch's mean softmax cross-entropy.
    @discardableResult
    public func lossAndGradients(
        input: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int,
        workspace: MLPWorkspace, afterLayer: (Int) throws -> Void
    ) rethrows -> Double {
        precondition(workspace.training, "lossAndGradients needs a training workspace")
        let logits = forward(input: input, rows: rows, workspace: workspace)
        var delta = workspace.deltaA.pointer
        var previousDelta = workspace.deltaB.pointer
        let loss = softmaxCrossEntropy(
            logits: logits, labels: labels, rows: rows, classes: layout.outputSize, gradient: delta)
        workspace.lastLoss = loss
        if let kernels = workspace.oneDNN {
            try backward(input: input, rows: rows, workspace: workspace, kernels: kernels, afterLayer: afterLayer)
            return loss
        }

        let weights = UnsafePointer(parameters.pointer)
        let ones = UnsafePointer(workspace.ones.pointer)
        for index in stride(from: layout.layers.count - 1, through: 0, by: -1) {
            let layer = layout.layers[index]
            let layerInput = index == 0 ? input : UnsafePointer(workspace.activations[index - 1].pointer)
            // ∂W = inputᵀ · delta: [in, rows] · [rows, out]
            matrixMultiply(
                layerInput, .transposed, delta, .none, into: gradients.pointer + layer.weightOffset,
                m: layer.inputs, n: layer.outputs, k: rows)
            // ∂b = Σ_rows delta
            columnSums(delta, rows: rows, columns: layer.outputs, ones: ones,
                       into: gradients.pointer + layer.biasOffset)
            try afterLayer(index)
            guard index > 0 else { break }
            // ∂input = delta · Wᵀ: [rows, out] · [out, in], then through the activation.
            matrixMultiply(
                delta, .none, weights + layer.weightOffset, .transposed, into: previousDelta,
                m: rows, n: layer.inputs, k: layer.outputs)
            activation.multiplyByDerivative(
                previousDelta, outputs: workspace.activations[index - 1].pointer,
                count: rows * layer.inputs)
            swap(&delta, &previousDelta)
        }
        return loss
    }

    /// `lossAndGradients(input:labels:rows:workspace:afterLayer:)` without a per-layer callback.
    @discardableResult
    public func lossAndGradients(
        input: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, workspace: MLPWorkspace
    ) -> Double {
        lossAndGradients(input: input, labels: labels, rows: rows, workspace: workspace, afterLayer: { _ in })
    }

    /// The predicted class of each row (the largest logit).
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]`.
    ///   - predictions: `[rows]`, overwritten.
    public func predict(
        input: UnsafePointer<Float>, rows: Int, workspace: MLPWorkspace,
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
