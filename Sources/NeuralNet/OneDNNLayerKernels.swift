import Foundation
import COneDNN

/// The oneDNN primitives and bfloat16 buffers of one model and workspace: per batch size, per
/// layer, a forward product with bias and activation fused, a weight-gradient product and an
/// input-gradient product. Made for the workspace's capacity at once, for other batch sizes
/// (a shard's last batch, an evaluation chunk) the first time they occur.
///
/// In bfloat16 the weights are rounded from the float32 master copy once per forward pass, the
/// input batch too; hidden layers write bfloat16 activations straight from the fused product,
/// the last layer float32 logits; the deltas are rounded as the activation's derivative is
/// applied; every gradient is accumulated and stored in float32. A model with convolutions
/// keeps float32 between layers: in bfloat16 its convolutions' own primitives round their
/// inputs, weights and deltas (float32 outputs and gradients), its dense layers and pooling stay
/// float32. A convolution without its own primitives is the product of its lowered input
/// (`ImageLayerPasses`), in float32 only.
final class OneDNNLayerKernels: LayerKernels {
    /// The products of one layer for one batch size (none for pooling): `rows` are the
    /// product's rows (a convolution's: images · positions), `in`/`out` the weights' shape.
    struct LayerProducts {
        /// output[rows, out] = activation(input[rows, in] · W[in, out] + b)
        let forward: OneDNNMatmul?
        /// ∂W[in, out] = input[rows, in]ᵀ · delta[rows, out] (nil in a forward-only workspace)
        let weightGradient: OneDNNMatmul?
        /// ∂W[in, out] += input[rows, in]ᵀ · delta[rows, out] (nil in a forward-only workspace)
        let weightGradientAdding: OneDNNMatmul?
        /// ∂input[rows, in] = delta[rows, out] · W[in, out]ᵀ (nil for the first layer, and in a
        /// forward-only workspace)
        let inputGradient: OneDNNMatmul?
        /// A convolution's own primitives (then the products above are nil); nil where oneDNN
        /// has none for the shape, which then runs as products on its lowered input.
        var convolution: OneDNNConvolution? = nil
    }

    let layout: NetworkLayout
    let activation: Activation
    let precision: Precision
    let training: Bool
    private var productsByRows: [Int: [LayerProducts]] = [:]
    /// The workspace's float32 `[capacity, outputs_l]` buffers, one per layer (in bfloat16 only
    /// the last, the logits, is written).
    private let activations: [FloatBuffer]
    private let images: ImageLayerPasses
    /// The pass under way: its products, rows, input and parameters.
    private var current: [LayerProducts] = []
    private var rows = 0
    private var floatInput: UnsafePointer<Float>
    private var parameters: UnsafePointer<Float>
    /// Times the primitives' executions (with their fused bias and activation).
    private let clock: ProductClock

    /// bfloat16 mode only (else empty): the weights (`[parameterCount]`, same offsets as the
    /// float32 parameters), the input batch, each hidden layer's activations and one delta.
    let weights: BFloat16Buffer
    let input: BFloat16Buffer
    let hidden: [BFloat16Buffer]
    let delta: BFloat16Buffer

    /// - Parameter training: false leaves out the bfloat16 delta buffer (forward passes only).
    init(
        layout: NetworkLayout, activation: Activation, precision: Precision, capacity: Int, training: Bool,
        activations: [FloatBuffer], images: ImageLayerPasses, clock: ProductClock
    ) throws {
        guard precision == .fp32 || layout.isDense || Self.useConvolutionPrimitives else {
            throw KernelError(message: "--precision bf16 with convolutions needs oneDNN's convolution primitives: unset MNIST_MPI_CONVOLUTION=lowered")
        }
        self.layout = layout
        self.images = images
        self.activations = activations
        self.clock = clock
        // Placeholders until the first forward pass.
        floatInput = UnsafePointer(activations[0].pointer)
        parameters = UnsafePointer(activations[0].pointer)
        self.activation = activation
        self.precision = precision
        self.training = training
        let bf16 = precision == .bf16 && layout.isDense
        self.bf16 = bf16
        weights = BFloat16Buffer(count: bf16 ? layout.parameterCount : 0)
        input = BFloat16Buffer(count: bf16 ? capacity * layout.inputSize : 0)
        hidden = layout.layers.dropLast().map { BFloat16Buffer(count: bf16 ? capacity * $0.outputs : 0) }
        delta = BFloat16Buffer(count: bf16 && training ? capacity * layout.widestLayer : 0)
        productsByRows[capacity] = try makeProducts(rows: capacity)
    }

    /// The products for batches of `rows` (made on first use).
    func products(rows: Int) -> [LayerProducts] {
        if let made = productsByRows[rows] { return made }
        do {
            let made = try makeProducts(rows: rows)
            productsByRows[rows] = made
            return made
        } catch {
            // The same shapes with another row count were made at start: not expected to fail.
            fatalError("oneDNN: \(error)")
        }
    }

    /// bfloat16 between the layers of a dense model (its buffers above); a model with
    /// convolutions in bfloat16 rounds inside its convolution primitives only.
    private let bf16: Bool
    /// oneDNN's convolution primitives for convolutions (else products on the lowered input);
    /// MNIST_MPI_CONVOLUTION=lowered picks the products, for side-by-side measurements.
    private static let useConvolutionPrimitives = ProcessInfo.processInfo.environment["MNIST_MPI_CONVOLUTION"] != "lowered"
    private var elementSize: Int { bf16 ? 2 : 4 }

    func beginForward(input: UnsafePointer<Float>, parameters: UnsafePointer<Float>, rows: Int) {
        current = products(rows: rows)
        self.rows = rows
        floatInput = input
        self.parameters = parameters
        if bf16 {
            weights.assign(roundingFrom: parameters, count: layout.parameterCount)
            self.input.assign(roundingFrom: input, count: rows * layout.inputSize)
        }
    }

    /// The products' weights: the bfloat16 copy, or the float32 parameters.
    private var weightOperand: UnsafeRawPointer {
        bf16 ? UnsafeRawPointer(weights.pointer) : UnsafeRawPointer(parameters)
    }

    /// Layer `index`'s input as its products read it (a convolution's: its lowered input).
    private func layerInput(_ index: Int) -> UnsafeRawPointer {
        if case .convolution = layout.layers[index].kind { return UnsafeRawPointer(images.lowered[index].pointer) }
        return layerOutputBefore(index)
    }

    /// The output of the layer before `index` (the batch for 0) as the products read it.
    private func layerOutputBefore(_ index: Int) -> UnsafeRawPointer {
        switch (bf16, index) {
        case (true, 0): return UnsafeRawPointer(input.pointer)
        case (true, _): return UnsafeRawPointer(hidden[index - 1].pointer)
        case (false, 0): return UnsafeRawPointer(floatInput)
        case (false, _): return UnsafeRawPointer(activations[index - 1].pointer)
        }
    }

    func forward(layer index: Int) {
        let layer = layout.layers[index]
        switch layer.kind {
        case .pooling(let pooling):
            // float32 only (checked at init).
            images.pool(pooling, image: layerOutputBefore(index).assumingMemoryBound(to: Float.self),
                        into: activations[index].pointer, rows: rows)
            return
        case .convolution(let convolution):
            let input = layerOutputBefore(index).assumingMemoryBound(to: Float.self)
            if let primitives = current[index].convolution {
                let output = activations[index].pointer
                let (weights, bias) = (parameters + layer.weightOffset, parameters + layer.biasOffset)
                clock.measure { primitives.forward(input: input, weights: weights, bias: bias, output: output) }
                return
            }
            _ = images.lower(convolution, layer: index, input: input, rows: rows)
        case .dense:
            break
        }
        let output = bf16 && index < layout.layers.count - 1
            ? UnsafeMutableRawPointer(hidden[index].pointer)
            : UnsafeMutableRawPointer(activations[index].pointer)
        guard let product = current[index].forward else { preconditionFailure("no product for layer \(index)") }
        let (a, b, bias) = (layerInput(index), weightOperand + layer.weightOffset * elementSize, parameters + layer.biasOffset)
        clock.measure { product.run(a: a, b: b, bias: bias, c: output) }
    }

    func beginBackward(outputDelta: UnsafePointer<Float>) {
        if bf16 { delta.assign(roundingFrom: outputDelta, count: rows * layout.outputSize) }
    }

    /// The delta as the products read it: the bfloat16 copy, or the float32 delta.
    private func deltaOperand(_ delta: UnsafePointer<Float>) -> UnsafeRawPointer {
        bf16 ? UnsafeRawPointer(self.delta.pointer) : UnsafeRawPointer(delta)
    }

    func weightGradient(layer index: Int, delta: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>, adding: Bool) {
        if let primitives = current[index].convolution {
            let input = layerOutputBefore(index).assumingMemoryBound(to: Float.self)
            clock.measure { primitives.weightGradient(input: input, delta: delta, into: gradient, adding: adding) }
            return
        }
        // A training workspace (checked by Network.forwardAndLoss) has every backward product.
        guard let product = adding ? current[index].weightGradientAdding : current[index].weightGradient else {
            preconditionFailure("forward-only workspace")
        }
        let (a, b) = (layerInput(index), deltaOperand(delta))
        clock.measure { product.run(a: a, b: b, c: UnsafeMutableRawPointer(gradient)) }
    }

    func weightGradient(
        layer index: Int, delta: UnsafePointer<Float>, rows window: Range<Int>, into gradient: UnsafeMutablePointer<Float>,
        adding: Bool
    ) {
        let layer = layout.layers[index]
        precondition(!bf16 && layer.kind == .dense, "a window's weight gradient is for dense float32 layers")
        let windowProducts = products(rows: window.count)[index]
        guard let product = adding ? windowProducts.weightGradientAdding : windowProducts.weightGradient else {
            preconditionFailure("forward-only workspace")
        }
        let a = layerInput(index) + window.lowerBound * layer.inputs * elementSize
        let b = UnsafeRawPointer(delta + window.lowerBound * layer.outputs)
        clock.measure { product.run(a: a, b: b, c: UnsafeMutableRawPointer(gradient)) }
    }

    func inputGradient(layer index: Int, delta: UnsafePointer<Float>, into previousDelta: UnsafeMutablePointer<Float>) {
        let layer = layout.layers[index]
        if case .pooling(let pooling) = layer.kind {
            images.poolBackward(
                pooling, image: layerOutputBefore(index).assumingMemoryBound(to: Float.self), delta: delta, into: previousDelta,
                rows: rows)
        } else {
            if let primitives = current[index].convolution {
                let weights = parameters + layer.weightOffset
                clock.measure { primitives.inputGradient(delta: delta, weights: weights, into: previousDelta) }
            } else if let product = current[index].inputGradient, case .convolution(let convolution) = layer.kind {
                let (a, b) = (deltaOperand(delta), weightOperand + layer.weightOffset * elementSize)
                clock.measure { product.run(a: a, b: b, c: UnsafeMutableRawPointer(images.loweredDelta.pointer)) }
                images.addBack(convolution, rows: rows, into: previousDelta)
            } else if let product = current[index].inputGradient {
                let (a, b) = (deltaOperand(delta), weightOperand + layer.weightOffset * elementSize)
                clock.measure { product.run(a: a, b: b, c: UnsafeMutableRawPointer(previousDelta)) }
            } else {
                preconditionFailure("forward-only workspace or layer 0")
            }
        }
        let count = rows * layer.inputs
        if !layout.layers[index - 1].activated {
            return
        } else if bf16 {
            // Multiplies by the derivative and rounds the next delta in one pass.
            onednn_activation_backward_bf16(
                previousDelta, hidden[index - 1].pointer, self.delta.pointer, count, activation.oneDNN)
        } else {
            activation.multiplyByDerivative(previousDelta, outputs: activations[index - 1].pointer, count: count)
        }
    }

    /// oneDNN's implementation names of the capacity-sized products, e.g. ["brg:avx512_core"].
    var implementations: [String] {
        let all = productsByRows.values.flatMap { $0 }.flatMap {
            [$0.forward, $0.weightGradient, $0.weightGradientAdding, $0.inputGradient].compactMap { $0 }
        }
        let convolutions = productsByRows.values.flatMap { $0 }.compactMap { $0.convolution?.implementation }
            .flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        return Array(Set(all.implementationNames + convolutions)).sorted()
    }

    /// How many convolution layers run on oneDNN's convolution primitives (the rest, none with
    /// `MNIST_MPI_CONVOLUTION=lowered`, as products on the lowered input).
    var convolutionPrimitiveCount: Int {
        productsByRows.values.first.map { products in products.filter { $0.convolution != nil }.count } ?? 0
    }

    private func makeProducts(rows images: Int) throws -> [LayerProducts] {
        let low: OneDNNMatmul.ElementType = bf16 ? .bfloat16 : .float32
        let last = layout.layers.count - 1
        return try layout.layers.enumerated().map { index, layer in
            if case .pooling = layer.kind {
                return LayerProducts(forward: nil, weightGradient: nil, weightGradientAdding: nil, inputGradient: nil)
            }
            if case .convolution(let convolution) = layer.kind, Self.useConvolutionPrimitives {
                let made = Result {
                    try OneDNNConvolution(
                        convolution, images: images, activation: layer.activated ? activation : nil, training: training,
                        inputGradient: index > 0, bfloat16: precision == .bf16)
                }
                switch made {
                case .success(let primitives):
                    var products = LayerProducts(forward: nil, weightGradient: nil, weightGradientAdding: nil, inputGradient: nil)
                    products.convolution = primitives
                    return products
                case .failure(let error) where precision == .bf16:
                    // No float32 stand-in: the run asked for bfloat16.
                    throw error
                case .failure:
                    break  // products on the lowered input
                }
            }
            let rows = images * layer.productRowsPerImage
            let (inputs, outputs) = (layer.weightRows, layer.weightColumns)
            return LayerProducts(
                forward: try OneDNNMatmul(
                    m: rows, n: outputs, k: inputs, a: low, b: low,
                    c: index == last ? .float32 : low, withBias: true, activation: layer.activated ? activation : nil),
                weightGradient: !training ? nil : try OneDNNMatmul(
                    m: inputs, n: outputs, k: rows, transposeA: .transposed, a: low, b: low, c: .float32),
                weightGradientAdding: !training ? nil : try OneDNNMatmul(
                    m: inputs, n: outputs, k: rows, transposeA: .transposed, a: low, b: low, c: .float32,
                    accumulate: true),
                inputGradient: index == 0 || !training ? nil : try OneDNNMatmul(
                    m: rows, n: inputs, k: outputs, transposeB: .transposed, a: low, b: low, c: .float32))
        }
    }
}
