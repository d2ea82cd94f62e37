import NeuralNet

/// A trained MLP as the exporters see it: the layer widths, the hidden activation, the flat
/// parameters in `MLPLayout` order and the metadata to carry along.
///
/// The exported graph takes `[N, inputs]` float pixels already scaled to 0...1 (grey level / 255,
/// white digit on black): torchvision's `ToTensor()` convention, what MNIST model users pass.
public struct ExportedModel {
    public let layout: MLPLayout
    public let activation: Activation
    /// `[layout.parameterCount]`: per layer the `[inputs, outputs]` weights then `[outputs]` biases.
    public let parameters: [Float]
    /// Key-value pairs written into the file's metadata (ONNX `metadata_props`, safetensors
    /// `__metadata__`), in this order.
    public let metadata: [(key: String, value: String)]

    public init(layout: MLPLayout, activation: Activation, parameters: [Float], metadata: [(key: String, value: String)]) {
        precondition(parameters.count == layout.parameterCount, "parameters do not fit the layout")
        self.layout = layout
        self.activation = activation
        self.parameters = parameters
        self.metadata = metadata
    }

    /// The name of layer `index`'s tensors in a PyTorch `nn.Sequential` of `Linear` and
    /// activation modules: the Linear layers sit at 0, 2, 4, ...
    public static func tensorName(layer index: Int, _ part: String) -> String { "\(2 * index).\(part)" }

    /// Layer `index`'s weights transposed to PyTorch's `Linear` layout.
    ///
    /// - Returns: `[outputs, inputs]` row-major (the stored layout is `[inputs, outputs]`).
    public func linearWeight(layer index: Int) -> [Float] {
        let layer = layout.layers[index]
        var weight = [Float](repeating: 0, count: layer.inputs * layer.outputs)
        for input in 0..<layer.inputs {
            for output in 0..<layer.outputs {
                weight[output * layer.inputs + input] = parameters[layer.weightOffset + input * layer.outputs + output]
            }
        }
        return weight
    }

    /// Layer `index`'s biases: `[outputs]`.
    public func bias(layer index: Int) -> [Float] {
        let layer = layout.layers[index]
        return Array(parameters[layer.biasOffset..<(layer.biasOffset + layer.outputs)])
    }

    /// Each layer's `[outputs, inputs]` weight and `[outputs]` bias with their names and
    /// shapes, in layer order: what both formats store.
    public var tensors: [(name: String, shape: [Int], values: [Float])] {
        layout.layers.indices.flatMap { index -> [(name: String, shape: [Int], values: [Float])] in
            let layer = layout.layers[index]
            return [
                (ExportedModel.tensorName(layer: index, "weight"), [layer.outputs, layer.inputs], linearWeight(layer: index)),
                (ExportedModel.tensorName(layer: index, "bias"), [layer.outputs], bias(layer: index)),
            ]
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
