import CElementwise

/// The passes around a convolution's products and the pooling layers, shared by every kernel
/// library: a convolution's input lowered to one row per output position (so that its forward
/// and gradient products are dense ones with `rows · positions` rows) and the lowered delta
/// added back to the image; pooling forward and backward. Same bits on every CPU (C loops in a
/// fixed order).
struct ImageLayerPasses {
    let layout: NetworkLayout
    /// Per layer: a convolution's lowered input `[capacity · positions, k·k·C]` (kept from the
    /// forward pass for the weight gradient); empty for other layers. Convolutions share one
    /// buffer in a forward-only workspace.
    let lowered: [FloatBuffer]
    /// `[capacity · positions, k·k·C]` of the largest convolution past the first: the lowered
    /// input's delta before it is added back (training only).
    let loweredDelta: FloatBuffer

    init(layout: NetworkLayout, capacity: Int, training: Bool) {
        self.layout = layout
        let shared = training ? nil : FloatBuffer(count: capacity * layout.loweredCountPerImage)
        lowered = layout.layers.map { layer in
            guard case .convolution(let convolution) = layer.kind else { return FloatBuffer(count: 0) }
            return shared ?? FloatBuffer(count: capacity * convolution.output.positions * convolution.windowCount)
        }
        let deltaCount = layout.layers.dropFirst().map { layer -> Int in
            guard case .convolution(let convolution) = layer.kind else { return 0 }
            return convolution.output.positions * convolution.windowCount
        }.max() ?? 0
        loweredDelta = FloatBuffer(count: training ? capacity * deltaCount : 0)
    }

    /// Lowers layer `index`'s input.
    ///
    /// - Parameters:
    ///   - input: `[rows, input.height, input.width, input.channels]`.
    /// - Returns: `[rows · positions, k·k·C]`, in `lowered[index]`.
    func lower(_ convolution: Convolution, layer index: Int, input: UnsafePointer<Float>, rows: Int) -> UnsafeMutablePointer<Float> {
        let out = lowered[index].pointer
        conv_lower(input, out, convolution.geometry(images: rows))
        return out
    }

    /// `image [rows, input.count] = Σ` the lowered delta `[rows · positions, k·k·C]` (in
    /// `loweredDelta`) added back to the pixels it came from.
    func addBack(_ convolution: Convolution, rows: Int, into image: UnsafeMutablePointer<Float>) {
        conv_lower_transpose(loweredDelta.pointer, image, convolution.geometry(images: rows))
    }

    /// `pooled [rows, output.count]` from `image [rows, input.count]`.
    func pool(_ pooling: Pooling, image: UnsafePointer<Float>, into pooled: UnsafeMutablePointer<Float>, rows: Int) {
        pool_forward(image, pooled, pooling.geometry(images: rows), pooling.mode == .average ? 1 : 0)
    }

    /// `imageDelta [rows, input.count]` from the pooled delta `[rows, output.count]` and the
    /// pooled layer's input `image`.
    func poolBackward(
        _ pooling: Pooling, image: UnsafePointer<Float>, delta: UnsafePointer<Float>,
        into imageDelta: UnsafeMutablePointer<Float>, rows: Int
    ) {
        pool_backward(image, delta, imageDelta, pooling.geometry(images: rows), pooling.mode == .average ? 1 : 0)
    }
}

extension Convolution {
    func geometry(images: Int) -> conv_geometry {
        conv_geometry(
            images: images, height: input.height, width: input.width, channels: input.channels, window: kernel,
            stride: stride, padding: padding, out_height: output.height, out_width: output.width)
    }
}

extension Pooling {
    func geometry(images: Int) -> conv_geometry {
        conv_geometry(
            images: images, height: input.height, width: input.width, channels: input.channels, window: window,
            stride: stride, padding: 0, out_height: output.height, out_width: output.width)
    }
}
