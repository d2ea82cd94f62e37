import COneDNN

/// Forward and backward passes on oneDNN's primitives, in float32 or mixed bfloat16.
extension MLP {
    /// The logits of a batch: one fused product (bias and activation included) per layer.
    ///
    /// In bfloat16 the weights are rounded from the float32 master copy here (once per step),
    /// the input batch too; hidden layers write bfloat16 activations, the last float32 logits.
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]` float32.
    /// - Returns: `[rows, outputSize]` float32 logits inside `workspace`.
    func forward(
        input: UnsafePointer<Float>, rows: Int, workspace: MLPWorkspace, kernels: OneDNNLayerKernels
    ) -> UnsafeMutablePointer<Float> {
        let products = kernels.products(rows: rows)
        let bf16 = kernels.precision == .bf16
        let weights: UnsafeRawPointer
        var layerInput: UnsafeRawPointer
        if bf16 {
            kernels.weights.assign(roundingFrom: parameters.pointer, count: layout.parameterCount)
            kernels.input.assign(roundingFrom: input, count: rows * layout.inputSize)
            weights = UnsafeRawPointer(kernels.weights.pointer)
            layerInput = UnsafeRawPointer(kernels.input.pointer)
        } else {
            weights = UnsafeRawPointer(parameters.pointer)
            layerInput = UnsafeRawPointer(input)
        }
        let elementSize = bf16 ? 2 : 4
        let last = layout.layers.count - 1
        for (index, layer) in layout.layers.enumerated() {
            let output = bf16 && index < last
                ? UnsafeMutableRawPointer(kernels.hidden[index].pointer)
                : UnsafeMutableRawPointer(workspace.activations[index].pointer)
            products[index].forward.run(
                a: layerInput, b: weights + layer.weightOffset * elementSize,
                bias: UnsafePointer(parameters.pointer + layer.biasOffset), c: output)
            layerInput = UnsafeRawPointer(output)
        }
        return workspace.activations[last].pointer
    }

    /// The backward pass after `forward(input:rows:workspace:kernels:)` and the softmax, whose
    /// float32 gradient is in `workspace.deltaA`: fills `gradients` (float32 in both precisions).
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]` float32, the batch `forward` saw.
    ///   - afterLayer: called with each layer as soon as its gradients are final (last first).
    func backward(
        input: UnsafePointer<Float>, rows: Int, workspace: MLPWorkspace, kernels: OneDNNLayerKernels,
        afterLayer: (Int) throws -> Void
    ) rethrows {
        let products = kernels.products(rows: rows)
        let bf16 = kernels.precision == .bf16
        let elementSize = bf16 ? 2 : 4
        let weights = bf16 ? UnsafeRawPointer(kernels.weights.pointer) : UnsafeRawPointer(parameters.pointer)
        let ones = UnsafePointer(workspace.ones.pointer)
        var delta = workspace.deltaA.pointer
        var previousDelta = workspace.deltaB.pointer
        let last = layout.layers.count - 1
        if bf16 {
            kernels.delta.assign(roundingFrom: delta, count: rows * layout.outputSize)
        }
        for index in stride(from: last, through: 0, by: -1) {
            let layer = layout.layers[index]
            let layerInput: UnsafeRawPointer
            switch (bf16, index) {
            case (true, 0): layerInput = UnsafeRawPointer(kernels.input.pointer)
            case (true, _): layerInput = UnsafeRawPointer(kernels.hidden[index - 1].pointer)
            case (false, 0): layerInput = UnsafeRawPointer(input)
            case (false, _): layerInput = UnsafeRawPointer(workspace.activations[index - 1].pointer)
            }
            let deltaOperand = bf16 ? UnsafeRawPointer(kernels.delta.pointer) : UnsafeRawPointer(delta)
            // A training workspace (checked by lossAndGradients) has every backward product.
            guard let weightGradient = products[index].weightGradient else { preconditionFailure("forward-only workspace") }
            // ∂W = inputᵀ · delta: [in, rows] · [rows, out], accumulated and stored in float32.
            weightGradient.run(
                a: layerInput, b: deltaOperand, c: UnsafeMutableRawPointer(gradients.pointer + layer.weightOffset))
            // ∂b = Σ_rows delta, from the float32 delta.
            columnSums(delta, rows: rows, columns: layer.outputs, ones: ones, into: gradients.pointer + layer.biasOffset)
            try afterLayer(index)
            guard index > 0, let inputGradient = products[index].inputGradient else { break }
            // ∂input = delta · Wᵀ: [rows, out] · [out, in], then through the activation.
            inputGradient.run(
                a: deltaOperand, b: weights + layer.weightOffset * elementSize,
                c: UnsafeMutableRawPointer(previousDelta))
            let count = rows * layer.inputs
            if bf16 {
                onednn_activation_backward_bf16(
                    previousDelta, kernels.hidden[index - 1].pointer, kernels.delta.pointer, count, activation.oneDNN)
            } else {
                activation.multiplyByDerivative(
                    previousDelta, outputs: workspace.activations[index - 1].pointer, count: count)
            }
            swap(&delta, &previousDelta)
        }
    }
}
