/// The matrix products (and what is fused with them) of one model's layers, for one
/// workspace's buffers: OpenBLAS in float32 (`OpenBLASLayerKernels`), oneDNN in float32 or
/// mixed bfloat16 (`OneDNNLayerKernels`). `Network` runs its one forward and one backward loop
/// through these calls; a new kernel library is one type that conforms, plus one case in
/// `NetworkWorkspace.makeKernels`.
///
/// Shapes: layer `l` maps `[rows, inputs_l]` to `[rows, outputs_l]` with weights
/// `W_l [inputs_l, outputs_l]` and bias `b_l [outputs_l]` (row-major, at the layout's offsets
/// in the flat parameter buffer).
protocol LayerKernels: AnyObject {
    /// The implementations that run the products (oneDNN's names, e.g. "brg:avx512_core";
    /// empty for OpenBLAS).
    var implementations: [String] { get }

    /// Starts a forward pass over a batch. Both pointers must stay valid until the batch's
    /// backward pass has ended.
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]` float32.
    ///   - parameters: `[parameterCount]` every weight and bias.
    ///   - rows: the batch size, at most the workspace's capacity.
    func beginForward(input: UnsafePointer<Float>, parameters: UnsafePointer<Float>, rows: Int)

    /// Layer `index`'s output `[rows, outputs]`: `activation(input · W + b)` for a hidden
    /// layer, `input · W + b` (float32 logits, into the workspace's last activation buffer) for
    /// the last. Layers run in order after `beginForward`.
    func forward(layer index: Int)

    /// Starts the backward pass of the batch the last forward pass saw.
    ///
    /// - Parameter outputDelta: `[rows, outputSize]` float32 ∂loss/∂logits.
    func beginBackward(outputDelta: UnsafePointer<Float>)

    /// `∂W [inputs, outputs] = inputᵀ · delta` (float32), where `delta` is layer `index`'s
    /// `[rows, outputs]` ∂loss/∂pre-activation; with `adding`, `gradient += inputᵀ · delta`, the
    /// product finished before the addition.
    func weightGradient(layer index: Int, delta: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>, adding: Bool)

    /// `weightGradient` of the batch's rows `window` alone, as a batch of `window.count` rows
    /// would compute it (the product has the window's own shape): `∂W [inputs, outputs] =
    /// input[window]ᵀ · delta[window]`, where `delta` is layer `index`'s `[rows, outputs]` from
    /// the batch's row 0. Dense layers with float32 operands only (a deterministic sum's leaf).
    func weightGradient(
        layer index: Int, delta: UnsafePointer<Float>, rows window: Range<Int>, into gradient: UnsafeMutablePointer<Float>,
        adding: Bool)

    /// `∂input [rows, inputs] = (delta · Wᵀ) ⊙ activation'` for `index > 0`: the delta of the
    /// layer before, float32 into `previousDelta` (and wherever the kernels keep their own
    /// copy for the next products).
    func inputGradient(layer index: Int, delta: UnsafePointer<Float>, into previousDelta: UnsafeMutablePointer<Float>)
}
