import COneDNN

/// The oneDNN primitives and bfloat16 buffers of one model and workspace: per batch size, per
/// layer, a forward product with bias and activation fused, a weight-gradient product and an
/// input-gradient product. Made for the workspace's capacity at once, for other batch sizes
/// (a shard's last batch, an evaluation chunk) the first time they occur.
final class OneDNNLayerKernels {
    /// The three products of one layer for one batch size.
    struct LayerProducts {
        /// output[rows, out] = activation(input[rows, in] · W[in, out] + b)
        let forward: OneDNNMatmul
        /// ∂W[in, out] = input[rows, in]ᵀ · delta[rows, out] (nil in a forward-only workspace)
        let weightGradient: OneDNNMatmul?
        /// ∂input[rows, in] = delta[rows, out] · W[in, out]ᵀ (nil for the first layer, and in a
        /// forward-only workspace)
        let inputGradient: OneDNNMatmul?
    }

    let layout: MLPLayout
    let activation: Activation
    let precision: Precision
    let training: Bool
    private var productsByRows: [Int: [LayerProducts]] = [:]

    /// bfloat16 mode only (else empty): the weights (`[parameterCount]`, same offsets as the
    /// float32 parameters), the input batch, each hidden layer's activations and one delta.
    let weights: BFloat16Buffer
    let input: BFloat16Buffer
    let hidden: [BFloat16Buffer]
    let delta: BFloat16Buffer

    /// - Parameter training: false leaves out the bfloat16 delta buffer (forward passes only).
    init(layout: MLPLayout, activation: Activation, precision: Precision, capacity: Int, training: Bool) throws {
        self.layout = layout
        self.activation = activation
        self.precision = precision
        self.training = training
        let bf16 = precision == .bf16
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

    /// oneDNN's implementation names of the capacity-sized products, e.g. ["brg:avx512_core"].
    var implementations: [String] {
        let all = productsByRows.values.flatMap { $0 }.flatMap { [$0.forward] + [$0.weightGradient, $0.inputGradient].compactMap { $0 } }
        return all.implementationNames
    }

    private func makeProducts(rows: Int) throws -> [LayerProducts] {
        let low: OneDNNMatmul.ElementType = precision == .bf16 ? .bfloat16 : .float32
        let last = layout.layers.count - 1
        return try layout.layers.enumerated().map { index, layer in
            let isLast = index == last
            return LayerProducts(
                forward: try OneDNNMatmul(
                    m: rows, n: layer.outputs, k: layer.inputs, a: low, b: low,
                    c: isLast ? .float32 : low, withBias: true, activation: isLast ? nil : activation),
                weightGradient: !training ? nil : try OneDNNMatmul(
                    m: layer.inputs, n: layer.outputs, k: rows, transposeA: .transposed, a: low, b: low, c: .float32),
                inputGradient: index == 0 || !training ? nil : try OneDNNMatmul(
                    m: rows, n: layer.inputs, k: layer.outputs, transposeB: .transposed, a: low, b: low, c: .float32))
        }
    }
}
