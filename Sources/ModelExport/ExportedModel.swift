import NeuralNet

/// A trained model as the exporters see it: its layout, the hidden activation, the flat
/// parameters in `NetworkLayout` order and the metadata to carry along, laid out as the modules of
/// a PyTorch `nn.Sequential` (`modules`), whose positions name the tensors.
///
/// The exported graph takes `[N, inputs]` float pixels already scaled to 0...1 (grey level / 255,
/// white digit on black): torchvision's `ToTensor()` convention, what MNIST model users pass.
/// A model with convolutions first views them as `[N, channels, height, width]` (PyTorch's and
/// ONNX's channels-first order); its weights are permuted from the trainer's channels-last
/// order on the way out.
public struct ExportedModel {
    /// One module of the `nn.Sequential`, in order.
    public enum Module: Equatable {
        /// `nn.Unflatten(1, (C, H, W))` / ONNX `Reshape`: the flat input as channels-first images.
        case unflatten(ImageShape)
        /// `nn.Conv2d` of layer `layer` / ONNX `Conv`.
        case convolution(layer: Int, Convolution)
        /// `nn.MaxPool2d` or `nn.AvgPool2d` / ONNX `MaxPool` or `AveragePool`.
        case pooling(Pooling)
        /// `nn.Flatten()` / ONNX `Flatten(axis = 1)`: images to rows, channels first.
        case flatten
        /// `nn.Linear` of layer `layer` / ONNX `Gemm(transB = 1)`.
        case dense(layer: Int)
        /// The hidden activation.
        case activation
    }

    public let layout: NetworkLayout
    public let activation: Activation
    /// `[layout.parameterCount]`: per layer the weights then the biases, as the trainer keeps them.
    public let parameters: [Float]
    /// Key-value pairs written into the file's metadata (ONNX `metadata_props`, safetensors
    /// `__metadata__`), in this order.
    public let metadata: [(key: String, value: String)]
    /// The modules, in order (a multilayer perceptron's Linear layers sit at 0, 2, 4 ...).
    public let modules: [Module]

    /// - Parameter image: the images a model with convolutions or pooling reads (nil for a
    ///   multilayer perceptron).
    public init(
        layout: NetworkLayout, activation: Activation, parameters: [Float], metadata: [(key: String, value: String)],
        image: ImageShape? = nil
    ) {
        precondition(parameters.count == layout.parameterCount, "parameters do not fit the layout")
        self.layout = layout
        self.activation = activation
        self.parameters = parameters
        self.metadata = metadata
        var modules: [Module] = []
        var imageInput = false
        if let image, !layout.isDense {
            modules.append(.unflatten(image))
            imageInput = true
        }
        for (index, layer) in layout.layers.enumerated() {
            switch layer.kind {
            case .convolution(let convolution): modules.append(.convolution(layer: index, convolution))
            case .pooling(let pooling): modules.append(.pooling(pooling))
            case .dense:
                if imageInput { modules.append(.flatten) }
                modules.append(.dense(layer: index))
            }
            if case .dense = layer.kind { imageInput = false } else { imageInput = true }
            if layer.activated { modules.append(.activation) }
        }
        self.modules = modules
    }

    /// The name of a tensor of the module at `position`, e.g. "0.weight".
    public static func tensorName(module position: Int, _ part: String) -> String { "\(position).\(part)" }

    /// The image shape dense layer `index` reads flattened, when the layer before it makes
    /// images (nil: it reads rows).
    private func flattenedImage(before index: Int) -> ImageShape? {
        guard index > 0 else { return nil }
        switch layout.layers[index - 1].kind {
        case .convolution(let convolution): return convolution.output
        case .pooling(let pooling): return pooling.output
        case .dense: return nil
        }
    }

    /// Dense layer `index`'s weights in PyTorch's `Linear` layout.
    ///
    /// - Returns: `[outputs, inputs]` row-major (the stored layout is `[inputs, outputs]`), the
    ///   inputs in channels-first order where the layer reads flattened images.
    public func linearWeight(layer index: Int) -> [Float] {
        let layer = layout.layers[index]
        let image = flattenedImage(before: index)
        var weight = [Float](repeating: 0, count: layer.inputs * layer.outputs)
        for input in 0..<layer.inputs {
            // The stored row `input` is pixel (y, x), channel c: channels-first that is c·H·W + y·W + x.
            let column = image.map { shape in
                let (pixel, channel) = input.quotientAndRemainder(dividingBy: shape.channels)
                return channel * shape.positions + pixel
            } ?? input
            for output in 0..<layer.outputs {
                weight[output * layer.inputs + column] = parameters[layer.weightOffset + input * layer.outputs + output]
            }
        }
        return weight
    }

    /// Convolution layer `index`'s weights in PyTorch's `Conv2d` (and ONNX's `Conv`) layout.
    ///
    /// - Returns: `[filters, channels, kernel, kernel]` row-major (stored: `[kernel, kernel,
    ///   channels, filters]`).
    public func convolutionWeight(layer index: Int, _ convolution: Convolution) -> [Float] {
        let layer = layout.layers[index]
        let (k, c, f) = (convolution.kernel, convolution.input.channels, convolution.output.channels)
        var weight = [Float](repeating: 0, count: layer.weightCount)
        for ky in 0..<k {
            for kx in 0..<k {
                for channel in 0..<c {
                    let row = (ky * k + kx) * c + channel
                    for filter in 0..<f {
                        weight[((filter * c + channel) * k + ky) * k + kx] = parameters[layer.weightOffset + row * f + filter]
                    }
                }
            }
        }
        return weight
    }

    /// Layer `index`'s biases: `[outputs]` or `[filters]`.
    public func bias(layer index: Int) -> [Float] {
        let layer = layout.layers[index]
        return Array(parameters[layer.biasOffset..<(layer.biasOffset + layer.biasCount)])
    }

    /// Each weighted module's weight and bias with their names and shapes, in module order:
    /// what both formats store.
    public var tensors: [(name: String, shape: [Int], values: [Float])] {
        modules.enumerated().flatMap { position, module -> [(name: String, shape: [Int], values: [Float])] in
            let weight = ExportedModel.tensorName(module: position, "weight")
            let bias = ExportedModel.tensorName(module: position, "bias")
            switch module {
            case .dense(let index):
                let layer = layout.layers[index]
                return [(weight, [layer.outputs, layer.inputs], linearWeight(layer: index)),
                        (bias, [layer.outputs], self.bias(layer: index))]
            case .convolution(let index, let convolution):
                let (k, c, f) = (convolution.kernel, convolution.input.channels, convolution.output.channels)
                return [(weight, [f, c, k, k], convolutionWeight(layer: index, convolution)),
                        (bias, [f], self.bias(layer: index))]
            default:
                return []
            }
        }
    }
}

/// Little-endian bytes of `values` (both formats store raw float32 little-endian).
func littleEndianBytes(_ values: [Float]) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(values.count * 4)
    for value in values {
        let bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
    }
    return bytes
}
