import NeuralNet

/// The optimizer, its learning-rate rules, the batch and the length of the run.
public struct OptimizationSettings: Codable, Sendable, Equatable {
    public var optimizer = OptimizerConfiguration(kind: .sgd)
    public var learningRate: Double = 0.1
    /// How the learning rate grows with the global batch (see `LearningRateScaling`).
    public var learningRateScaling: LearningRateScaling = .auto
    /// The batch `learningRate` was set for (nil: `batchSize`).
    public var lrReferenceBatch: Int? = nil
    /// How the learning rate falls after warmup.
    public var learningRateDecay: LearningRateDecay = .none
    /// Epochs over which the learning rate ramps from `learningRate` to its scaled value (nil:
    /// 2 when the rate is scaled up, else 0).
    public var warmupEpochs: Double? = nil
    /// Examples per rank per step (weak scaling); the global batch is ranks × this.
    public var batchSize: Int = 100
    /// Strong scaling: the global batch, split evenly over the ranks (nil: weak scaling).
    public var globalBatch: Int? = nil
    public var epochs: Int = 30
    /// Initialisation and batch order.
    public var seed: UInt64 = 42
    /// Bits that do not depend on the rank count: the global batch in micro-batches summed in
    /// one fixed tree, one data order for all ranks (needs `globalBatch`).
    public var deterministic: Bool = false
    /// With `deterministic`: rows per micro-batch (nil: `defaultMicroBatch`).
    public var microBatch: Int? = nil
    /// End the run at the first evaluation at or above this test accuracy (0...1; nil: run
    /// every epoch).
    public var targetAccuracy: Double? = nil
    /// With `targetAccuracy`: evaluate every this many steps (nil: as often as keeps evaluation
    /// within a tenth of the time, measured after the first epoch; see `TargetTracker`).
    public var targetEvalSteps: Int? = nil
    /// End the run when the test accuracy has not improved for this many evaluations (nil: never).
    public var earlyStopPatience: Int? = nil

    public init() {}

    /// The optimizer's kind shapes the checkpoint's moments; every other value changes the
    /// trajectory; the epoch count is the run's length, which a resume may extend.
    static let resumeRules: [ResumeRule] = [
        .of(\.optimization, "--optimizer", .refuse) { $0.optimizer.kind.rawValue },
        .of(\.optimization, "--momentum --nesterov --beta1 --beta2 --epsilon --weight-decay --trust-coefficient", .warn) {
            let o = $0.optimizer
            return "\(o.momentum) \(o.nesterov) \(o.beta1) \(o.beta2) \(o.epsilon) \(o.weightDecay) \(o.trustCoefficient)"
        },
        .of(\.optimization, "--lr", .warn) { "\($0.learningRate)" },
        .of(\.optimization, "--lr-scaling", .warn) { $0.learningRateScaling.rawValue },
        .of(\.optimization, "--lr-reference-batch", .warn) { describe($0.lrReferenceBatch) },
        .of(\.optimization, "--lr-decay", .warn) { $0.learningRateDecay.rawValue },
        .of(\.optimization, "--warmup-epochs", .warn) { describe($0.warmupEpochs) },
        .of(\.optimization, "--batch-size", .warn) { "\($0.batchSize)" },
        .of(\.optimization, "--global-batch", .warn) { describe($0.globalBatch) },
        .of(\.optimization, "--seed", .warn) { "\($0.seed)" },
        .of(\.optimization, "--deterministic", .warn) { "\($0.deterministic)" },
        .of(\.optimization, "--micro-batch", .warn) { describe($0.microBatch) },
        .of(\.optimization, "--epochs", .free) { "\($0.epochs)" },
        .of(\.optimization, "--target-accuracy --target-eval-steps --early-stop-patience", .free) { _ in "" },
    ]
}

extension OptimizationSettings {
    /// The micro-batch of `--deterministic` when none is given: the smallest divisor of the
    /// global batch of at least 25 rows (products of fewer rows run inefficiently), e.g. 25 for
    /// 600 (24 micro-batches: 1, 2, 3, 4, 6, 8, 12 or 24 ranks), 25 for 200 (8).
    public static func defaultMicroBatch(globalBatch: Int) -> Int {
        (25...max(25, globalBatch)).first { globalBatch % $0 == 0 } ?? globalBatch
    }

    /// With `deterministic`: (rows per micro-batch, micro-batches per step); nil otherwise.
    public var microBatching: (rows: Int, count: Int)? {
        guard deterministic, let globalBatch else { return nil }
        let rows = microBatch ?? OptimizationSettings.defaultMicroBatch(globalBatch: globalBatch)
        return (rows, globalBatch / rows)
    }
}
