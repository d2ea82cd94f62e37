import COneDNN

/// oneDNN's pooling primitives for one shape and batch size, made once, on channels-last images.
/// The trainer pools with its own fixed-order loops; `ComputeFloor` times these as the floor.
public final class OneDNNPooling {
    private let primitive: OpaquePointer
    /// oneDNN's names for the implementations, e.g. "jit:avx512_core, jit:avx512_core".
    public let implementation: String

    /// - Parameters:
    ///   - pooling: the layer's shapes, window and stride.
    ///   - images: the batch size.
    ///   - training: also makes the backward primitive (and keeps max pooling's workspace).
    /// - Throws: `KernelError` when oneDNN is missing or has no implementation for the shape.
    public init(_ pooling: Pooling, images: Int, training: Bool) throws {
        var shape = onednn_pooling_shape(
            images: Int64(images), height: Int64(pooling.input.height), width: Int64(pooling.input.width),
            channels: Int64(pooling.input.channels), out_height: Int64(pooling.output.height),
            out_width: Int64(pooling.output.width), window: Int64(pooling.window), stride: Int64(pooling.stride))
        var message = [CChar](repeating: 0, count: 256)
        var made: OpaquePointer?
        let status = onednn_pooling_create(&made, &shape, pooling.mode == .average ? 1 : 0, training ? 1 : 0, &message, message.count)
        guard status == 0, let made else { throw KernelError(message: OneDNN.text(of: message)) }
        primitive = made
        implementation = String(cString: onednn_pooling_implementation(made))
    }

    deinit { onednn_pooling_destroy(primitive) }

    /// `output [images, outH, outW, C]` = the pooled `input [images, H, W, C]`.
    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        check(onednn_pooling_forward(primitive, input, output))
    }

    /// `inputDelta [images, H, W, C]` from `delta [images, outH, outW, C]` (max pooling: by the
    /// last forward's choices).
    public func backward(delta: UnsafePointer<Float>, into inputDelta: UnsafeMutablePointer<Float>) {
        check(onednn_pooling_backward(primitive, delta, inputDelta))
    }

    private func check(_ status: Int32) {
        // Every shape was checked when the primitives were made: a failure here is a bug.
        precondition(status == 0, "oneDNN pooling (\(implementation)) failed with status \(status)")
    }
}
