import NeuralNet

/// The network: `784-hidden...-10` with one hidden activation.
public struct ModelSettings: Codable, Sendable, Equatable {
    /// Hidden layer widths, e.g. `[256, 256]`.
    public var hiddenSizes: [Int] = [256, 256]
    public var activation: Activation = .sigmoid
    public var initializer: Initializer = .normal(standardDeviation: 1)

    public init() {}

}

extension Settings {
    public static let hidden = Setting(
        "--hidden", .model, \.model.hiddenSizes, resume: .refuse, help: "Hidden layer widths, comma-separated.",
        note: "the checkpoint holds these shapes",
        text: { $0.map(String.init).joined(separator: ",") },
        check: { widths, _ in
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

    public static let model: [any AnySetting] = [hidden, activation, initializer, initStd]
}
