import COneDNN

/// oneDNN's convolution primitives for one shape and batch size, made once: forward with bias
/// and activation fused, and for training the weight gradient and (past the first layer) the
/// input gradient, on channels-last images with `[k, k, C, filters]` weights (the layout's).
public final class OneDNNConvolution {
    private let primitive: OpaquePointer
    /// oneDNN's names for the implementations, e.g. "brg_conv_fwd:avx512_core, ...".
    public let implementation: String

    /// - Parameters:
    ///   - images: the batch size.
    ///   - activation: fused after the bias (nil: none).
    ///   - training: makes the weight-gradient primitive; `inputGradient` also the input's.
    ///   - bfloat16: the products read bfloat16 (images, weights and deltas rounded from the
    ///     float32 the caller passes, by the primitives' own reorders) and write float32.
    /// - Throws: `KernelError` when oneDNN has no implementation for the shape.
    public init(
        _ convolution: Convolution, images: Int, activation: Activation?, training: Bool, inputGradient: Bool,
        bfloat16: Bool = false
    ) throws {
        var shape = onednn_convolution_shape(
            images: Int64(images), height: Int64(convolution.input.height), width: Int64(convolution.input.width),
            channels: Int64(convolution.input.channels), filters: Int64(convolution.output.channels),
            out_height: Int64(convolution.output.height), out_width: Int64(convolution.output.width),
            kernel: Int64(convolution.kernel), stride: Int64(convolution.stride), padding: Int64(convolution.padding))
        var message = [CChar](repeating: 0, count: 256)
        var made: OpaquePointer?
        let status = onednn_convolution_create(
            &made, &shape, activation?.oneDNN ?? ONEDNN_NO_ACTIVATION, training ? 1 : 0, inputGradient ? 1 : 0,
            bfloat16 ? 1 : 0, &message, message.count)
        guard status == 0, let made else { throw KernelError(message: OneDNN.text(of: message)) }
        primitive = made
        implementation = String(cString: onednn_convolution_implementation(made))
    }

    deinit { onednn_convolution_destroy(primitive) }

    /// `output [images, outH, outW, filters] = activation(input * weights + bias)`.
    ///
    /// - Parameters:
    ///   - input: `[images, H, W, C]`; weights: `[k, k, C, filters]`; bias: `[filters]`.
    public func forward(input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        check(onednn_convolution_forward(primitive, input, weights, bias, output))
    }

    /// `inputDelta [images, H, W, C]` from `delta [images, outH, outW, filters]` (∂loss/∂pre-activation).
    public func inputGradient(delta: UnsafePointer<Float>, weights: UnsafePointer<Float>, into inputDelta: UnsafeMutablePointer<Float>) {
        check(onednn_convolution_backward_data(primitive, delta, weights, inputDelta))
    }

    /// `gradient [k, k, C, filters]` (`adding`: `+=`, the finished gradient added) from the
    /// layer's `input [images, H, W, C]` and `delta [images, outH, outW, filters]`.
    public func weightGradient(input: UnsafePointer<Float>, delta: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>, adding: Bool) {
        check(onednn_convolution_backward_weights(primitive, input, delta, gradient, adding ? 1 : 0))
    }

    private func check(_ status: Int32) {
        // Every shape was checked when the primitives were made: a failure here is a bug.
        precondition(status == 0, "oneDNN convolution (\(implementation)) failed with status \(status)")
    }
}
