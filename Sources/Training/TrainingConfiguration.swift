import MNISTData
import NeuralNet

/// Everything a training run needs to know, as the user set it (after presets were applied),
/// in sections that match the command line's option groups. Each setting is declared once
/// (`Setting`, listed in `Settings.all`) beside its section's values.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// The preset the defaults came from (`seed`).
    public var preset: String = "seed"
    /// Why that preset: the default, `--preset`, or the family of the `--model` named.
    public var presetOrigin = PresetOrigin.default
    public var model = ModelSettings()
    public var optimization = OptimizationSettings()
    public var data = DataSettings()
    public var communication = CommunicationSettings()
    public var compute = ComputeSettings()
    public var reporting = ReportingSettings()
    public var reliability = ReliabilitySettings()

    public init() {}

    /// The values a checkpoint keeps: every setting whose resume policy is not `.free`, by flag.
    public var resumeValues: [String: String] {
        var values: [String: String] = [:]
        for setting in Settings.all where setting.resume != .free { values[setting.flag] = setting.valueText(in: self) }
        return values
    }

    /// The seed configuration of the original program: 784-256-256-10 sigmoid, N(0, 1), SGD 0.1,
    /// batch 100, 30 epochs, cost every 3 epochs.
    public static let seed = TrainingConfiguration()

    /// The original program's next steps: ReLU, He initialisation, Adam at lr 0.001 (decayed
    /// along a cosine to zero at the end), batch 100, 15 epochs.
    public static let improved: TrainingConfiguration = {
        var config = TrainingConfiguration()
        config.preset = "improved"
        config.model.activation = .relu
        config.model.initializer = .he
        config.optimization.optimizer = OptimizerConfiguration(kind: .adam)
        config.optimization.learningRate = 0.001
        config.optimization.learningRateDecay = .cosine
        config.optimization.epochs = 15
        return config
    }()

    /// A convolutional network: LeNet-5 (ReLU, max pooling), He initialisation, Adam at lr 0.004
    /// decayed along a cosine over 3 epochs, batch 100: 99% test accuracy in those 3 epochs
    /// (docs/models.md). Not in `presets`: help shows the multilayer perceptron's defaults.
    public static let lenet5: TrainingConfiguration = {
        var config = TrainingConfiguration()
        config.preset = "lenet5"
        config.model.layers = NamedModel.lenet5
        config.model.activation = .relu
        config.model.initializer = .he
        config.optimization.optimizer = OptimizerConfiguration(kind: .adam)
        config.optimization.learningRate = 0.004
        config.optimization.learningRateDecay = .cosine
        config.optimization.epochs = 3
        return config
    }()

    /// The presets, in the order help shows their defaults ("seed/improved").
    public static let presets = [seed, improved]

    /// The per-rank batch for `ranks` ranks: `batchSize`, or `globalBatch / ranks`.
    ///
    /// - Throws: `TrainingError.invalidOption` when the global batch does not divide evenly.
    public func perRankBatch(ranks: Int) throws -> Int {
        let (batchSize, globalBatch) = (optimization.batchSize, optimization.globalBatch)
        guard let globalBatch else { return batchSize }
        guard globalBatch % ranks == 0 else {
            throw TrainingError.invalidOption(
                option: "--global-batch", value: "\(globalBatch)",
                rule: "must divide evenly by the \(ranks) ranks; use a multiple of \(ranks)")
        }
        return globalBatch / ranks
    }

    /// Layer widths from input to output for `inputSize` pixels and `classCount` classes (of
    /// the multilayer perceptron; `layout` for any model).
    public func layerSizes(inputSize: Int, classCount: Int) -> [Int] {
        [inputSize] + model.hiddenSizes + [classCount]
    }

    /// The model's layout on MNIST's images and classes.
    ///
    /// - Throws: `TrainingError.invalidOption` naming `--model` when a layer does not fit
    ///   (`validate` checks the same first).
    public func layout() throws -> NetworkLayout {
        let image = DataParallelTrainer.imageShape
        guard let layers = model.layers else {
            return NetworkLayout(sizes: layerSizes(inputSize: image.count, classCount: DataParallelTrainer.classCount))
        }
        do {
            return try NetworkLayout(input: image, layers: layers)
        } catch {
            throw TrainingError.invalidOption(option: "--model", value: NamedModel.name(of: layers), rule: error.message)
        }
    }

    /// The largest values `validate` accepts.
    public static let limits = (
        epochs: 1_000_000, batch: 1 << 24, hiddenLayers: 62, width: 1 << 20, stallSeconds: 31_536_000.0,
        steps: 1 << 40, timelineSteps: 1_000_000)

    /// Checks the values a command line can get wrong: each setting's own rule, in the order
    /// of `Settings.all`, then the gradient sum's combinations (`ReductionRules`).
    ///
    /// - Throws: `TrainingError.invalidOption` naming the option, the value and what is allowed.
    public func validate() throws {
        for setting in Settings.all {
            if let problem = setting.problem(in: self) { throw problem }
        }
        if let problem = ReductionRules.problem(in: self) { throw problem }
    }
}
