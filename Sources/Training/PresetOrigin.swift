import NeuralNet

/// Where a run's starting configuration (its preset) came from: the summary's `preset_origin`
/// and the banner's note say it.
public enum PresetOrigin: String, Codable, Sendable {
    /// No `--preset` and no `--model` that asks for other settings: the seed configuration.
    case `default`
    /// `--preset NAME`.
    case named = "--preset"
    /// No `--preset`; `--model` named a convolutional network, whose family's settings were taken.
    case model = "--model"
}

extension TrainingConfiguration {
    /// The configuration a run starts from when no `--preset` is given: the one that suits the
    /// model's family. A network with convolutions or pooling takes the `lenet5` preset's
    /// training settings (ReLU, He initialisation, Adam 0.004 decayed along a cosine, 3 epochs:
    /// the seed's sigmoid and N(0, 1) leave LeNet-5 at 95%); the multilayer perceptron (no
    /// `--model`, `--model mlp` or dense layers only) keeps the seed's.
    ///
    /// - Parameter layers: the `--model` layers (nil: the multilayer perceptron of `--hidden`).
    public static func suited(to layers: [LayerSpec]?) -> TrainingConfiguration {
        guard let layers, layers.contains(where: { if case .dense = $0 { false } else { true } }) else {
            return .seed
        }
        var config = TrainingConfiguration.lenet5
        config.model.layers = layers
        config.presetOrigin = .model
        return config
    }

    /// The banner's words for where the preset came from ("" for the default and a named one).
    var presetOriginNote: String { presetOrigin == .model ? " (from --model)" : "" }

    /// The line after the banner when the model's family chose the preset: which settings it
    /// brought and how to get the seed's instead.
    var presetOriginLine: String? {
        guard presetOrigin == .model else { return nil }
        let family = TrainingConfiguration.lenet5
        let decay = family.optimization.learningRateDecay == .none ? "" : " \(family.optimization.learningRateDecay.rawValue) decay"
        return "defaults: --model \(NamedModel.name(of: model.layers)) has convolutions, so the run starts from preset "
            + "\(family.preset)'s training settings (\(family.model.activation.rawValue), \(Settings.initializer.valueText(in: family)) init, "
            + "\(family.optimization.optimizer.kind.rawValue) lr \(family.optimization.learningRate)\(decay), "
            + "\(family.optimization.epochs) epochs); options given override them; --preset seed trains it with the "
            + "original's sigmoid, N(0, 1) and SGD 0.1"
    }
}
