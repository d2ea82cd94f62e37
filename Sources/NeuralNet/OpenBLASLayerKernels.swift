/// The layers' products on OpenBLAS `cblas_sgemm`, float32, with bias and activation applied
/// in one pass after each forward product.
final class OpenBLASLayerKernels: LayerKernels {
    private let layout: MLPLayout
    private let activation: Activation
    /// The workspace's `[capacity, outputs_l]` buffers, one per layer.
    private let activations: [FloatBuffer]
    private var input: UnsafePointer<Float>
    private var parameters: UnsafePointer<Float>
    private var rows = 0
    /// Times the sgemm calls (not the bias, activation and derivative passes).
    private let clock: ProductClock

    init(layout: MLPLayout, activation: Activation, activations: [FloatBuffer], clock: ProductClock) {
        self.layout = layout
        self.clock = clock
        self.activation = activation
        self.activations = activations
        // Placeholders until the first forward pass.
        input = UnsafePointer(activations[0].pointer)
        parameters = UnsafePointer(activations[0].pointer)
    }

    var implementations: [String] { [] }

    func beginForward(input: UnsafePointer<Float>, parameters: UnsafePointer<Float>, rows: Int) {
        self.input = input
        self.parameters = parameters
        self.rows = rows
    }

    private func layerInput(_ index: Int) -> UnsafePointer<Float> {
        index == 0 ? input : UnsafePointer(activations[index - 1].pointer)
    }

    func forward(layer index: Int) {
        let layer = layout.layers[index]
        let output = activations[index].pointer
        clock.measure {
            matrixMultiply(
                layerInput(index), .none, parameters + layer.weightOffset, .none, into: output,
                m: rows, n: layer.outputs, k: layer.inputs)
        }
        let bias = parameters + layer.biasOffset
        if index == layout.layers.count - 1 {
            addBias(output, bias: bias, rows: rows, columns: layer.outputs)
        } else {
            activation.addBiasAndApply(output, bias: bias, rows: rows, columns: layer.outputs)
        }
    }

    func beginBackward(outputDelta: UnsafePointer<Float>) {}

    func weightGradient(layer index: Int, delta: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>, adding: Bool) {
        let layer = layout.layers[index]
        // [in, rows] · [rows, out]
        clock.measure {
            matrixMultiply(
                layerInput(index), .transposed, delta, .none, into: gradient, m: layer.inputs, n: layer.outputs, k: rows,
                beta: adding ? 1 : 0)
        }
    }

    func inputGradient(layer index: Int, delta: UnsafePointer<Float>, into previousDelta: UnsafeMutablePointer<Float>) {
        let layer = layout.layers[index]
        // [rows, out] · [out, in], then through the activation.
        clock.measure {
            matrixMultiply(
                delta, .none, parameters + layer.weightOffset, .transposed, into: previousDelta,
                m: rows, n: layer.inputs, k: layer.outputs)
        }
        activation.multiplyByDerivative(
            previousDelta, outputs: activations[index - 1].pointer, count: rows * layer.inputs)
    }
}
