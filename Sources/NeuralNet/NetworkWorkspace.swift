/// Scratch buffers and kernels for forward and backward passes of up to `capacity` rows,
/// allocated once so that the training step allocates nothing.
public final class NetworkWorkspace {
    /// The largest batch these buffers hold.
    public let capacity: Int
    /// One `[capacity, sizes[l + 1]]` buffer per layer: hidden activations, then the logits.
    let activations: [FloatBuffer]
    /// Two `[capacity, widestLayer]` buffers for the backward deltas, used in turn.
    let deltaA: FloatBuffer
    let deltaB: FloatBuffer
    /// `[capacity · productRowsPerImage]` all 1, for bias gradients by sgemv.
    let ones: FloatBuffer
    /// `[widestLayer]` one layer's bias gradient, where backward adds it to a destination.
    let biasGradient: FloatBuffer
    /// One `[capacity, outputs_l]` buffer per layer: every layer's delta of the batch, kept for
    /// the leaf-wise gradients of a deterministic sum (`Network.backwardDeltas`); empty unless asked for.
    let layerDeltas: [FloatBuffer]
    /// Whether this workspace has the backward pass's buffers (`backward` needs them).
    public let training: Bool
    /// The kernels forward and backward passes through this workspace use.
    public let kernels: ComputeKernels
    /// The layers' products, writing into these buffers.
    let layerKernels: any LayerKernels
    /// Convolutions' lowered inputs and pooling (empty buffers for a multilayer perceptron).
    let images: ImageLayerPasses
    /// The time the products of this workspace's passes have taken so far.
    public let productClock: ProductClock
    /// The rows of the batch whose loss was computed last and whose backward pass may run
    /// (nil after a backward pass, or before any loss).
    var pendingBackwardRows: Int? = nil

    /// Buffers for `model` and batches of up to `capacity` rows, computed by `kernels` (with
    /// oneDNN: its primitives for `capacity` rows are made here).
    ///
    /// - Parameters:
    ///   - training: false makes a workspace for `forward` and `predict` only, without the
    ///     backward pass's delta buffers (evaluation chunks are large).
    ///   - keepsLayerDeltas: also a delta buffer per layer, for `Network.backwardDeltas` and
    ///     `Network.leafGradients` (a deterministic sum's leaves from one pass over the batch).
    /// - Throws: `KernelError` when oneDNN cannot make them.
    public init(
        model: Network, capacity: Int, kernels: ComputeKernels = .openblas, training: Bool = true, keepsLayerDeltas: Bool = false
    ) throws {
        precondition(capacity > 0, "workspace capacity must be positive")
        let layout = model.layout
        self.capacity = capacity
        activations = layout.layers.map { FloatBuffer(count: capacity * $0.outputs) }
        let deltaCount = training ? capacity * layout.widestLayer : 0
        deltaA = FloatBuffer(count: deltaCount)
        deltaB = FloatBuffer(count: deltaCount)
        ones = FloatBuffer(count: training ? capacity * layout.productRowsPerImage : 0, repeating: 1)
        biasGradient = FloatBuffer(count: training ? layout.widestLayer : 0)
        layerDeltas = training && keepsLayerDeltas ? layout.layers.map { FloatBuffer(count: capacity * $0.outputs) } : []
        self.kernels = kernels
        self.training = training
        let clock = ProductClock()
        productClock = clock
        let images = ImageLayerPasses(layout: layout, capacity: capacity, training: training)
        self.images = images
        layerKernels = try NetworkWorkspace.makeKernels(
            kernels, layout: layout, activation: model.activation, capacity: capacity, training: training,
            activations: activations, images: images, clock: clock)
    }

    /// The kernel library's implementation of the layers' products.
    private static func makeKernels(
        _ kernels: ComputeKernels, layout: NetworkLayout, activation: Activation, capacity: Int, training: Bool,
        activations: [FloatBuffer], images: ImageLayerPasses, clock: ProductClock
    ) throws -> any LayerKernels {
        switch kernels.library {
        case .openblas:
            return OpenBLASLayerKernels(
                layout: layout, activation: activation, activations: activations, images: images, clock: clock)
        case .onednn:
            return try OneDNNLayerKernels(
                layout: layout, activation: activation, precision: kernels.precision, capacity: capacity,
                training: training, activations: activations, images: images, clock: clock)
        }
    }

    /// oneDNN's names for the implementations it runs here (empty with OpenBLAS).
    public var implementations: [String] { layerKernels.implementations }
}
