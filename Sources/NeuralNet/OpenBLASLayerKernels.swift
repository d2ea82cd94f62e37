/// The layers' products on OpenBLAS `cblas_sgemm`, float32, with bias and activation applied
/// in one pass after each forward product; a convolution is the product of its lowered input.
final class OpenBLASLayerKernels: LayerKernels {
    private let layout: NetworkLayout
    private let activation: Activation
    /// The workspace's `[capacity, outputs_l]` buffers, one per layer.
    private let activations: [FloatBuffer]
    private let images: ImageLayerPasses
    private var input: UnsafePointer<Float>
    private var parameters: UnsafePointer<Float>
    private var rows = 0
    /// Times the sgemm calls (not the bias, activation, lowering, pooling and derivative passes).
    private let clock: ProductClock

    init(layout: NetworkLayout, activation: Activation, activations: [FloatBuffer], images: ImageLayerPasses, clock: ProductClock) {
        self.layout = layout
        self.clock = clock
        self.activation = activation
        self.activations = activations
        self.images = images
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

    /// The product's left operand of layer `index` (a convolution's lowered input, kept from
    /// the forward pass) and its row count.
    private func productInput(_ index: Int) -> (UnsafePointer<Float>, rows: Int) {
        let layer = layout.layers[index]
        if case .convolution = layer.kind { return (UnsafePointer(images.lowered[index].pointer), rows * layer.productRowsPerImage) }
        return (layerInput(index), rows)
    }

    func forward(layer index: Int) {
        let layer = layout.layers[index]
        let output = activations[index].pointer
        switch layer.kind {
        case .pooling(let pooling):
            images.pool(pooling, image: layerInput(index), into: output, rows: rows)
            return
        case .convolution(let convolution):
            _ = images.lower(convolution, layer: index, input: layerInput(index), rows: rows)
        case .dense:
            break
        }
        let (a, productRows) = productInput(index)
        clock.measure {
            matrixMultiply(
                a, .none, parameters + layer.weightOffset, .none, into: output,
                m: productRows, n: layer.weightColumns, k: layer.weightRows)
        }
        let bias = parameters + layer.biasOffset
        if layer.activated {
            activation.addBiasAndApply(output, bias: bias, rows: productRows, columns: layer.weightColumns)
        } else {
            addBias(output, bias: bias, rows: productRows, columns: layer.weightColumns)
        }
    }

    func beginBackward(outputDelta: UnsafePointer<Float>) {}

    func weightGradient(layer index: Int, delta: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>, adding: Bool) {
        let layer = layout.layers[index]
        let (a, productRows) = productInput(index)
        // [in, rows] · [rows, out]
        clock.measure {
            matrixMultiply(
                a, .transposed, delta, .none, into: gradient, m: layer.weightRows, n: layer.weightColumns, k: productRows,
                beta: adding ? 1 : 0)
        }
    }

    func weightGradient(
        layer index: Int, delta: UnsafePointer<Float>, rows window: Range<Int>, into gradient: UnsafeMutablePointer<Float>,
        adding: Bool
    ) {
        let layer = layout.layers[index]
        precondition(layer.kind == .dense, "a window's weight gradient is for dense layers")
        let a = layerInput(index) + window.lowerBound * layer.weightRows
        // [in, window] · [window, out]
        clock.measure {
            matrixMultiply(
                a, .transposed, delta + window.lowerBound * layer.weightColumns, .none, into: gradient,
                m: layer.weightRows, n: layer.weightColumns, k: window.count, beta: adding ? 1 : 0)
        }
    }

    func inputGradient(layer index: Int, delta: UnsafePointer<Float>, into previousDelta: UnsafeMutablePointer<Float>) {
        let layer = layout.layers[index]
        switch layer.kind {
        case .pooling(let pooling):
            images.poolBackward(pooling, image: layerInput(index), delta: delta, into: previousDelta, rows: rows)
        case .convolution(let convolution):
            // [rows · positions, filters] · [filters, k·k·C], then added back to the image.
            let productRows = rows * layer.productRowsPerImage
            clock.measure {
                matrixMultiply(
                    delta, .none, parameters + layer.weightOffset, .transposed, into: images.loweredDelta.pointer,
                    m: productRows, n: layer.weightRows, k: layer.weightColumns)
            }
            images.addBack(convolution, rows: rows, into: previousDelta)
        case .dense:
            // [rows, out] · [out, in]
            clock.measure {
                matrixMultiply(
                    delta, .none, parameters + layer.weightOffset, .transposed, into: previousDelta,
                    m: rows, n: layer.inputs, k: layer.outputs)
            }
        }
        if layout.layers[index - 1].activated {
            activation.multiplyByDerivative(
                previousDelta, outputs: activations[index - 1].pointer, count: rows * layer.inputs)
        }
    }
}
