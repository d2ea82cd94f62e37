/// Where each layer's tensors sit in the one flat parameter buffer (and, at the same offsets,
/// in the gradient buffer).
///
/// Layer `l` maps `sizes[l]` inputs to `sizes[l + 1]` outputs with weights `[in, out]`
/// (row-major) followed by biases `[out]`.
public struct MLPLayout: Sendable, Equatable, Codable {
    /// One layer's place in the flat buffers.
    public struct Layer: Sendable, Equatable, Codable {
        public let inputs: Int
        public let outputs: Int
        /// Offset of the `[inputs, outputs]` weights.
        public let weightOffset: Int
        /// Offset of the `[outputs]` biases.
        public let biasOffset: Int
    }

    /// Widths from input to output, e.g. `[784, 256, 256, 10]`.
    public let sizes: [Int]
    /// One entry per weight layer (`sizes.count - 1`).
    public let layers: [Layer]
    /// The total number of parameters (weights and biases of all layers).
    public let parameterCount: Int

    /// A layout for `sizes` (at least an input and an output width, all positive).
    public init(sizes: [Int]) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "invalid layer sizes \(sizes)")
        self.sizes = sizes
        var layers: [Layer] = []
        var offset = 0
        for index in 0..<(sizes.count - 1) {
            let inputs = sizes[index]
            let outputs = sizes[index + 1]
            layers.append(Layer(
                inputs: inputs, outputs: outputs,
                weightOffset: offset, biasOffset: offset + inputs * outputs))
            offset += inputs * outputs + outputs
        }
        self.layers = layers
        parameterCount = offset
    }

    /// The input width (pixels per image).
    public var inputSize: Int { sizes[0] }
    /// The number of classes.
    public var outputSize: Int { sizes[sizes.count - 1] }
    /// The widest layer, which sizes the scratch buffers.
    public var widestLayer: Int { sizes.max() ?? 0 }
}
