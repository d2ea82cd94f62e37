import NeuralNet

/// The network: `784-hidden...-10` with one hidden activation, or convolutions and pooling
/// before dense layers (`layers`).
public struct ModelSettings: Codable, Sendable, Equatable {
    /// Hidden layer widths, e.g. `[256, 256]` (a multilayer perceptron, `layers` nil).
    public var hiddenSizes: [Int] = [256, 256]
    /// Every layer of a model with convolutions or pooling, the last the logits (`fc10`); nil
    /// for the multilayer perceptron of `hiddenSizes`.
    public var layers: [LayerSpec]? = nil
    public var activation: Activation = .sigmoid
    public var initializer: Initializer = .normal(standardDeviation: 1)

    public init() {}

}

/// The models `--model` names besides a list of layers.
public enum NamedModel {
    /// LeCun et al. 1998 (with max pooling): conv 5x5x6 pad 2, pool, conv 5x5x16, pool, 120, 84, 10.
    public static let lenet5: [LayerSpec] = [
        .convolution(filters: 6, kernel: 5, stride: 1, padding: 2), .pooling(.max, window: 2, stride: 2),
        .convolution(filters: 16, kernel: 5, stride: 1, padding: 0), .pooling(.max, window: 2, stride: 2),
        .dense(outputs: 120), .dense(outputs: 84), .dense(outputs: 10),
    ]

    /// `--model`'s value: nil for "mlp" (the `--hidden` widths), the layers of "lenet5" or of a
    /// list such as "conv3x3x32p1,pool2,fc128,fc10".
    ///
    /// - Throws: `LayoutError` naming the layer that does not parse.
    public static func layers(named text: String) throws(LayoutError) -> [LayerSpec]? {
        switch text.lowercased() {
        case "mlp": return nil
        case "lenet5", "lenet-5": return lenet5
        default: return try LayerSpec.parseList(text)
        }
    }

    /// The text `layers(named:)` reads back: "mlp", "lenet5" or the list.
    public static func name(of layers: [LayerSpec]?) -> String {
        guard let layers else { return "mlp" }
        return layers == lenet5 ? "lenet5" : layers.map(String.init(describing:)).joined(separator: ",")
    }
}

extension Settings {
    public static let modelLayers = Setting(
        "--model", .model, \.model.layers, resume: .refuse,
        help: "mlp (dense layers of --hidden), lenet5, or a list of layers: fcN, convKxKxF[pP][sS], maxpoolN, avgpoolN, e.g. conv3x3x32p1,pool2,fc128,fc10.",
        note: "the checkpoint holds these shapes", text: { NamedModel.name(of: $0) },
        check: { layers, _ in
            guard let layers else { return nil }
            do throws(LayoutError) {
                let layout = try NetworkLayout(input: DataParallelTrainer.imageShape, layers: layers)
                return layout.outputSize == DataParallelTrainer.classCount
                    ? nil : "the last layer must be fc\(DataParallelTrainer.classCount), one output per class"
            } catch {
                return "\(error.message) (on \(DataParallelTrainer.imageShape) images)"
            }
        })
    public static let hidden = Setting(
        "--hidden", .model, \.model.hiddenSizes, resume: .refuse, help: "Hidden layer widths, comma-separated.",
        note: "the checkpoint holds these shapes",
        text: { $0.map(String.init).joined(separator: ",") },
        check: { widths, config in
            guard config.model.layers == nil || widths == ModelSettings().hiddenSizes else {
                return "sets the multilayer perceptron's widths: with --model, name the dense layers there (fc120,fc84,fc10)"
            }
            let limits = TrainingConfiguration.limits
            return (1...limits.hiddenLayers).contains(widths.count) && widths.allSatisfy({ (1...limits.width).contains($0) })
                ? nil : "needs 1 to \(limits.hiddenLayers) widths of 1 to \(limits.width), e.g. 256,256"
        })
    public static let activation = Setting(
        "--activation", .model, \.model.activation, resume: .refuse, help: "Hidden activation: sigmoid, tanh or relu.",
        note: "the same", text: { $0.rawValue })
    public static let initializer = Setting(
        "--init", .model, \.model.initializer, resume: .free, help: "Weight initialisation: normal, xavier or he.",
        note: "unused once resumed",
        text: {
            switch $0 {
            case .normal: "normal"
            case .xavier: "xavier"
            case .he: "he"
            }
        })
    public static let initStd = Setting(
        "--init-std", .model, \.model.initializer, resume: .free,
        help: "Standard deviation of --init normal (weights and biases).", note: "unused once resumed",
        text: { if case .normal(let deviation) = $0 { "\(deviation)" } else { "" } },
        check: { initializer, _ in
            guard case .normal(let deviation) = initializer else { return nil }
            return deviation > 0 && deviation.isFinite ? nil : "must be a positive finite number"
        })

    public static let model: [any AnySetting] = [modelLayers, hidden, activation, initializer, initStd]
}
