import NeuralNet

/// The network: `784-hidden...-10` with one hidden activation.
public struct ModelSettings: Codable, Sendable, Equatable {
    /// Hidden layer widths, e.g. `[256, 256]`.
    public var hiddenSizes: [Int] = [256, 256]
    public var activation: Activation = .sigmoid
    public var initializer: Initializer = .normal(standardDeviation: 1)

    public init() {}

    /// The architecture is the checkpoint's shape; the initialiser does not matter once resumed.
    static let resumeRules: [ResumeRule] = [
        .of(\.model, "--hidden", .refuse) { $0.hiddenSizes.map(String.init).joined(separator: ",") },
        .of(\.model, "--activation", .refuse) { $0.activation.rawValue },
        .of(\.model, "--init", .free) { "\($0.initializer)" },
    ]
}
