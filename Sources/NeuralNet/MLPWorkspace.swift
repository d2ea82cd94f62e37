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
    /// The kernels forward and backward passes through this workspace use.
    public let kernels: ComputeKernels
    /// oneDNN's primitives and bfloat16 buffers (nil with OpenBLAS).
    let oneDNN: OneDNNLayerKernels?

    /// Buffers for `layout` and batches of up to `capacity` rows, computed by OpenBLAS.
    public init(layout: MLPLayout, capacity: Int) {
        precondition(capacity > 0, "workspace capacity must be positive")
        self.capacity = capacity
        activations = layout.layers.map { FloatBuffer(count: capacity * $0.outputs) }
        deltaA = FloatBuffer(count: capacity * layout.widestLayer)
        deltaB = FloatBuffer(count: capacity * layout.widestLayer)
        ones = FloatBuffer(count: capacity, repeating: 1)
        kernels = .openblas
        oneDNN = nil
    }

    /// Buffers for `model` and batches of up to `capacity` rows, computed by `kernels` (with
    /// oneDNN: its primitives for `capacity` rows are made here).
    ///
    /// - Throws: `KernelError` when oneDNN cannot make them.
    public init(model: MLP, capacity: Int, kernels: ComputeKernels) throws {
        precondition(capacity > 0, "workspace capacity must be positive")
        let layout = model.layout
        self.capacity = capacity
        activations = layout.layers.map { FloatBuffer(count: capacity * $0.outputs) }
        deltaA = FloatBuffer(count: capacity * layout.widestLayer)
        deltaB = FloatBuffer(count: capacity * layout.widestLayer)
        ones = FloatBuffer(count: capacity, repeating: 1)
        self.kernels = kernels
        oneDNN = kernels.library == .onednn
            ? try OneDNNLayerKernels(layout: layout, activation: model.activation, precision: kernels.precision, capacity: capacity)
            : nil
    }

    /// oneDNN's names for the implementations it runs here (empty with OpenBLAS).
    public var implementations: [String] { oneDNN?.implementations ?? [] }
}
