/// Scratch buffers for forward and backward passes of up to `capacity` rows, allocated once so
/// that the training step allocates nothing.
public final class MLPWorkspace {
    /// The largest batch these buffers hold.
    public let capacity: Int
    /// One `[capacity, sizes[l + 1]]` buffer per layer: hidden activations, then the logits.
    let activations: [FloatBuffer]
    /// Two `[capacity, widestLayer]` buffers for the backward deltas, used in turn.
    let deltaA: FloatBuffer
    let deltaB: FloatBuffer
    /// `[capacity]` all 1, for bias gradients by sgemv.
    let ones: FloatBuffer
    /// The mean cost of the last `lossAndGradients` batch (known before backward starts).
    public internal(set) var lastLoss: Double = 0
    /// Whether this workspace has the backward pass's buffers (`lossAndGradients` needs them).
    public let training: Bool
    /// The kernels forward and backward passes through this workspace use.
    public let kernels: ComputeKernels
    /// oneDNN's primitives and bfloat16 buffers (nil with OpenBLAS).
    let oneDNN: OneDNNLayerKernels?

    /// Buffers for `layout` and batches of up to `capacity` rows, computed by OpenBLAS.
    public convenience init(layout: MLPLayout, capacity: Int) {
        self.init(layout: layout, capacity: capacity, kernels: .openblas, oneDNN: nil, training: true)
    }

    /// Buffers for `model` and batches of up to `capacity` rows, computed by `kernels` (with
    /// oneDNN: its primitives for `capacity` rows are made here).
    ///
    /// - Parameter training: false makes a workspace for `forward` and `predict` only, without
    ///   the backward pass's delta buffers (evaluation chunks are large).
    /// - Throws: `KernelError` when oneDNN cannot make them.
    public convenience init(model: MLP, capacity: Int, kernels: ComputeKernels, training: Bool = true) throws {
        precondition(capacity > 0, "workspace capacity must be positive")
        let oneDNN = kernels.library == .onednn
            ? try OneDNNLayerKernels(
                layout: model.layout, activation: model.activation, precision: kernels.precision, capacity: capacity,
                training: training)
            : nil
        self.init(layout: model.layout, capacity: capacity, kernels: kernels, oneDNN: oneDNN, training: training)
    }

    private init(layout: MLPLayout, capacity: Int, kernels: ComputeKernels, oneDNN: OneDNNLayerKernels?, training: Bool) {
        precondition(capacity > 0, "workspace capacity must be positive")
        self.capacity = capacity
        activations = layout.layers.map { FloatBuffer(count: capacity * $0.outputs) }
        let deltaCount = training ? capacity * layout.widestLayer : 0
        deltaA = FloatBuffer(count: deltaCount)
        deltaB = FloatBuffer(count: deltaCount)
        ones = FloatBuffer(count: training ? capacity : 0, repeating: 1)
        self.kernels = kernels
        self.oneDNN = oneDNN
        self.training = training
    }

    /// oneDNN's names for the implementations it runs here (empty with OpenBLAS).
    public var implementations: [String] { oneDNN?.implementations ?? [] }
}
