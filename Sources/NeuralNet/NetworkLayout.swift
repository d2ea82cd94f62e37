/// Where each layer's tensors sit in the one flat parameter buffer (and, at the same offsets,
/// in the gradient buffer), and what shape each layer's output has.
///
/// A dense layer `l` maps `inputs` floats per row to `outputs` with weights `[inputs, outputs]`
/// (row-major) followed by biases `[outputs]`. A convolution's weights are `[k·k·C, filters]`
/// (window order: kernel row, kernel column, input channel) followed by `[filters]` biases; a
/// pooling layer has none. Images are stored channels last (`[rows, height, width, channels]`),
/// so a dense layer after a convolution reads the flattened `[rows, height·width·channels]`.
public struct NetworkLayout: Sendable, Equatable, Codable {
    /// One layer's place in the flat buffers.
    public struct Layer: Sendable, Equatable, Codable {
        /// What the layer computes.
        public enum Kind: Sendable, Equatable, Codable {
            case dense
            case convolution(Convolution)
            case pooling(Pooling)
        }

        public let kind: Kind
        /// Floats per row (image) in and out.
        public let inputs: Int
        public let outputs: Int
        /// Offset of the weights.
        public let weightOffset: Int
        /// Offset of the biases (`weightOffset + weightCount`).
        public let biasOffset: Int
        /// The weights as the matrix the products read, `[weightRows, weightColumns]`: dense
        /// `[inputs, outputs]`, convolution `[k·k·C, filters]`, pooling `[0, 0]`.
        public let weightRows: Int
        public let weightColumns: Int
        /// Biases: dense `outputs`, convolution `filters`, pooling 0.
        public let biasCount: Int
        /// Whether the hidden activation follows (dense and convolution layers but the last).
        public let activated: Bool

        /// The weights' element count.
        public var weightCount: Int { weightRows * weightColumns }
        /// Rows of the layer's product per image: a convolution's output positions, else 1.
        public var productRowsPerImage: Int {
            if case .convolution(let convolution) = kind { return convolution.output.positions }
            return 1
        }
        /// The fan-in and fan-out an initializer scales by (a convolution's: `k·k·C` and
        /// `k·k·filters`, as Glorot and He define them for convolutions).
        public var fans: (fanIn: Int, fanOut: Int) {
            if case .convolution(let convolution) = kind {
                let area = convolution.kernel * convolution.kernel
                return (area * convolution.input.channels, area * convolution.output.channels)
            }
            return (weightRows, weightColumns)
        }
    }

    /// Floats per row from input to output, e.g. `[784, 256, 256, 10]` (a convolution's or
    /// pooling's output flattened).
    public let sizes: [Int]
    /// One entry per layer (`sizes.count - 1`).
    public let layers: [Layer]
    /// The total number of parameters (weights and biases of all layers).
    public let parameterCount: Int
    /// The layers as named, for a model with convolutions or pooling (nil: a multilayer
    /// perceptron, named by `sizes`).
    public let specs: [LayerSpec]?

    /// A multilayer perceptron for `sizes` (at least an input and an output width, all positive).
    public init(sizes: [Int]) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "invalid layer sizes \(sizes)")
        self.sizes = sizes
        var layers: [Layer] = []
        var offset = 0
        for index in 0..<(sizes.count - 1) {
            let inputs = sizes[index]
            let outputs = sizes[index + 1]
            layers.append(Layer(
                kind: .dense, inputs: inputs, outputs: outputs, weightOffset: offset, biasOffset: offset + inputs * outputs,
                weightRows: inputs, weightColumns: outputs, biasCount: outputs, activated: index < sizes.count - 2))
            offset += inputs * outputs + outputs
        }
        self.layers = layers
        parameterCount = offset
        specs = nil
    }

    /// The model `specs` on images of `input`, every shape checked.
    ///
    /// - Throws: `LayoutError` naming the first layer that does not fit, or a model that does
    ///   not end in a dense layer or holds more than `maximumParameters`.
    public init(input: ImageShape, layers specs: [LayerSpec], maximumParameters: Int = 1 << 31) throws(LayoutError) {
        guard let last = specs.last, case .dense = last else {
            throw LayoutError("the last layer must be fcN (the logits), not \(specs.last.map(String.init(describing:)) ?? "nothing")")
        }
        var shape: ImageShape? = input
        var width = input.count
        var sizes = [width], layers: [Layer] = [], offset = 0
        for (index, spec) in specs.enumerated() {
            let position = "layer \(index + 1) (\(spec))"
            let activated = index < specs.count - 1
            let layer: Layer
            switch spec {
            case .dense(let outputs):
                let (weights, overflow) = width.multipliedReportingOverflow(by: outputs)
                guard !overflow, weights <= maximumParameters else {
                    throw LayoutError("\(position) needs \(width) x \(outputs) weights: too many")
                }
                layer = Layer(
                    kind: .dense, inputs: width, outputs: outputs, weightOffset: offset, biasOffset: offset + weights,
                    weightRows: width, weightColumns: outputs, biasCount: outputs, activated: activated)
                shape = nil
            case .convolution(let filters, let kernel, let stride, let padding):
                guard let image = shape else { throw LayoutError("\(position) follows a dense layer: convolutions take images") }
                guard let convolution = Convolution(input: image, filters: filters, kernel: kernel, stride: stride, padding: padding) else {
                    throw LayoutError(padding >= kernel
                        ? "\(position): padding \(padding) must be smaller than the kernel \(kernel)"
                        : "\(position) does not fit: its input \(image) is smaller than the \(kernel)x\(kernel) kernel")
                }
                let weights = convolution.windowCount * filters
                guard weights <= maximumParameters else { throw LayoutError("\(position) has too many weights") }
                layer = Layer(
                    kind: .convolution(convolution), inputs: width, outputs: convolution.output.count, weightOffset: offset,
                    biasOffset: offset + weights, weightRows: convolution.windowCount, weightColumns: filters,
                    biasCount: filters, activated: activated)
                shape = convolution.output
            case .pooling(let mode, let window, let stride):
                guard let image = shape else { throw LayoutError("\(position) follows a dense layer: pooling takes images") }
                guard let pooling = Pooling(mode, input: image, window: window, stride: stride) else {
                    throw LayoutError("\(position) does not fit: its input \(image) is smaller than the \(window)x\(window) window")
                }
                layer = Layer(
                    kind: .pooling(pooling), inputs: width, outputs: pooling.output.count, weightOffset: offset,
                    biasOffset: offset, weightRows: 0, weightColumns: 0, biasCount: 0, activated: false)
                shape = pooling.output
            }
            // Image offsets are 32-bit in the pooling pass; far past any image that fits in memory.
            guard layer.outputs <= Int(Int32.max) else {
                throw LayoutError("\(position) makes \(layer.outputs) floats per image: too many")
            }
            offset = layer.biasOffset + layer.biasCount
            guard offset <= maximumParameters else {
                throw LayoutError("the model has more than \(maximumParameters) parameters by \(position)")
            }
            width = layer.outputs
            sizes.append(width)
            layers.append(layer)
        }
        self.sizes = sizes
        self.layers = layers
        parameterCount = offset
        self.specs = specs
    }

    /// The input width (floats per image).
    public var inputSize: Int { sizes[0] }
    /// The number of classes.
    public var outputSize: Int { sizes[sizes.count - 1] }
    /// The widest layer, which sizes the scratch buffers.
    public var widestLayer: Int { sizes.max() ?? 0 }
    /// Whether every layer is dense (a multilayer perceptron).
    public var isDense: Bool { specs == nil || layers.allSatisfy { $0.kind == .dense } }
    /// The most product rows per image of any layer (1 for a multilayer perceptron).
    public var productRowsPerImage: Int { layers.map(\.productRowsPerImage).max() ?? 1 }
    /// The largest lowered input per image of any convolution, `positions · k·k·C` (0: none).
    public var loweredCountPerImage: Int {
        layers.map { layer in
            if case .convolution(let convolution) = layer.kind { return convolution.output.positions * convolution.windowCount }
            return 0
        }.max() ?? 0
    }
    /// The architecture as text: "784-256-256-10" or the layers, e.g. "conv5x5x6p2,maxpool2,fc10".
    public var architecture: String {
        specs.map { $0.map(String.init(describing:)).joined(separator: ",") }
            ?? sizes.map(String.init).joined(separator: "-")
    }
}
