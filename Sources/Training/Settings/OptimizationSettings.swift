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
    /// With `deterministic`: rows per micro-batch (nil: from `sameBitsOn`, or `defaultMicroBatch`).
    public var microBatch: Int? = nil
    /// With `deterministic`: the rank counts that must end with the same bits; the micro-batch
    /// is then the largest that divides over every one of them (nil: `defaultMicroBatch`).
    public var sameBitsOn: [Int]? = nil
    /// End the run at the first evaluation at or above this test accuracy (0...1; nil: run
    /// every epoch).
    public var targetAccuracy: Double? = nil
    /// With `targetAccuracy`: evaluate every this many steps (nil: as often as keeps evaluation
    /// within a tenth of the time, measured after the first epoch; see `TargetTracker`).
    public var targetEvalSteps: Int? = nil
    /// End the run when the test accuracy has not improved for this many evaluations (nil: never).
    public var earlyStopPatience: Int? = nil

    public init() {}

}

extension OptimizationSettings {
    /// The micro-batch of `--deterministic` when none is given: the smallest divisor of the
    /// global batch of at least 25 rows (products of fewer rows run inefficiently), e.g. 25 for
    /// 600 (24 micro-batches: 1, 2, 3, 4, 6, 8, 12 or 24 ranks), 25 for 200 (8).
    public static func defaultMicroBatch(globalBatch: Int) -> Int {
        (25...max(25, globalBatch)).first { globalBatch % $0 == 0 } ?? globalBatch
    }

    /// The largest micro-batch that divides over every rank count of `ranks`: `G / lcm(ranks)`,
    /// e.g. 100 for G = 200 on 1 or 2 ranks (2 micro-batches), 50 for 1, 2 or 4 (nil where the
    /// least common multiple does not divide G).
    public static func microBatch(globalBatch: Int, sameBitsOn ranks: [Int]) -> Int? {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        var multiple = 1
        for count in ranks where count > 0 {
            multiple = multiple / gcd(multiple, count) * count
            if multiple > globalBatch { return nil }
        }
        return globalBatch % multiple == 0 ? globalBatch / multiple : nil
    }

    /// With `deterministic`: (rows per micro-batch, micro-batches per step); nil otherwise.
    public var microBatching: (rows: Int, count: Int)? {
        guard deterministic, let globalBatch else { return nil }
        let rows = microBatch
            ?? sameBitsOn.flatMap { OptimizationSettings.microBatch(globalBatch: globalBatch, sameBitsOn: $0) }
            ?? OptimizationSettings.defaultMicroBatch(globalBatch: globalBatch)
        return (rows, globalBatch / rows)
    }

    /// The rank counts that end with the same bits as each other: those that divide the
    /// micro-batch count (nil unless deterministic).
    public var sameBitsRankCounts: [Int]? {
        microBatching.map { batching in (1...batching.count).filter { batching.count % $0 == 0 } }
    }
}

extension Settings {
    private static var limits: (epochs: Int, batch: Int, steps: Int) {
        (TrainingConfiguration.limits.epochs, TrainingConfiguration.limits.batch, TrainingConfiguration.limits.steps)
    }

    public static let epochs = Setting(
        "--epochs", .optimization, \.optimization.epochs, resume: .free, help: "Training epochs.",
        note: "the total; a resume may extend the run",
        check: { epochs, _ in (1...limits.epochs).contains(epochs) ? nil : "must be 1 to \(limits.epochs)" })
    public static let batchSize = Setting(
        "--batch-size", .optimization, \.optimization.batchSize, resume: .warn,
        help: "Examples per rank per step (weak scaling: the global batch is ranks x this).",
        check: { batch, _ in (1...limits.batch).contains(batch) ? nil : "must be 1 to \(limits.batch)" })
    public static let globalBatch = Setting(
        "--global-batch", .optimization, \.optimization.globalBatch, resume: .warn,
        help: "Strong scaling: the global batch, split evenly over the ranks; steps per epoch then do not depend on the rank count.",
        default: .none, text: describe,
        check: { batch, _ in batch.map { (1...limits.batch).contains($0) } == false ? "must be 1 to \(limits.batch)" : nil })
    public static let optimizer = Setting(
        "--optimizer", .optimization, \.optimization.optimizer.kind, resume: .refuse,
        help: "Optimizer: sgd, momentum, adam, lars (layer-wise trust ratio on momentum SGD) or lamb (the same on Adam).",
        note: "the moments in the checkpoint belong to it", text: { $0.rawValue })
    public static let learningRate = Setting(
        "--lr", .optimization, \.optimization.learningRate, resume: .warn, help: "Learning rate.",
        check: { rate, _ in rate.isFinite && rate > 0 ? nil : "must be a positive finite number" })
    public static let momentum = Setting(
        "--momentum", .optimization, \.optimization.optimizer.momentum, resume: .warn,
        help: "Momentum coefficient of --optimizer momentum and lars.", note: "the optimizer's hyperparameters",
        check: { momentum, _ in momentum >= 0 && momentum < 1 ? nil : "must be in [0, 1)" })
    public static let nesterov = Setting(
        "--nesterov", .optimization, \.optimization.optimizer.nesterov, resume: .warn,
        help: "Nesterov momentum (with --optimizer momentum).", default: .none)
    public static let beta1 = Setting(
        "--beta1", .optimization, \.optimization.optimizer.beta1, resume: .warn, help: "Adam's and LAMB's beta1, in (0, 1).",
        check: { beta, _ in beta > 0 && beta < 1 ? nil : "must be in (0, 1)" })
    public static let beta2 = Setting(
        "--beta2", .optimization, \.optimization.optimizer.beta2, resume: .warn, help: "Adam's beta2, in (0, 1).",
        check: { beta, _ in beta > 0 && beta < 1 ? nil : "must be in (0, 1)" })
    public static let epsilon = Setting(
        "--epsilon", .optimization, \.optimization.optimizer.epsilon, resume: .warn, help: "Adam's epsilon.",
        check: { epsilon, _ in epsilon > 0 && epsilon.isFinite ? nil : "must be a positive finite number" })
    public static let weightDecay = Setting(
        "--weight-decay", .optimization, \.optimization.optimizer.weightDecay, resume: .warn,
        help: "L2 weight decay added to the gradient.",
        check: { decay, _ in decay >= 0 && decay.isFinite ? nil : "must be a finite number >= 0" })
    public static let lrScaling = Setting(
        "--lr-scaling", .optimization, \.optimization.learningRateScaling, resume: .warn,
        help: "Learning-rate scaling with the global batch G against --lr-reference-batch B: auto (linear for sgd, momentum, lars; sqrt for adam, lamb), linear (x G/B, Goyal et al. 2017), sqrt (x sqrt(G/B)) or none. One rank at B is unchanged.",
        text: { $0.rawValue })
    public static let lrReferenceBatch = Setting(
        "--lr-reference-batch", .optimization, \.optimization.lrReferenceBatch, resume: .warn,
        help: "The global batch --lr was set for.", default: .text("--batch-size"), text: describe,
        check: { batch, _ in batch.map { (1...limits.batch).contains($0) } == false ? "must be 1 to \(limits.batch)" : nil })
    public static let trustCoefficient = Setting(
        "--trust-coefficient", .optimization, \.optimization.optimizer.trustCoefficient, resume: .warn,
        help: "LARS's trust coefficient eta: a layer moves by about lr x eta of its norm per step.",
        check: { eta, _ in eta > 0 && eta.isFinite ? nil : "must be a positive finite number" })
    public static let lrDecay = Setting(
        "--lr-decay", .optimization, \.optimization.learningRateDecay, resume: .warn,
        help: "Learning-rate decay after warmup: none or cosine (to zero at the last step).", text: { $0.rawValue })
    public static let warmupEpochs = Setting(
        "--warmup-epochs", .optimization, \.optimization.warmupEpochs, resume: .warn,
        help: "Epochs of linear warm-up from --lr to the scaled rate.",
        default: .text("2 when the rate is scaled up, else 0"), text: describe,
        check: { epochs, _ in
            epochs.map { $0 >= 0 && $0 <= Double(limits.epochs) } == false ? "must be a number from 0 to \(limits.epochs)" : nil
        })
    public static let seed = Setting(
        "--seed", .optimization, \.optimization.seed, resume: .warn,
        help: "Random seed for initialisation and batch order.", note: "the batch order")
    public static let deterministic = Setting(
        "--deterministic", .optimization, \.optimization.deterministic, resume: .warn,
        help: "Bits that do not depend on the rank count: with --global-batch G, the global batch is cut into micro-batches summed in one fixed tree, and every rank draws the same data order (and reads the whole training set). Needs a rank count that divides the micro-batch count.",
        default: .none,
        note: "the data order and the summation tree; with it on both sides a change of rank count changes no bit",
        check: { on, config in
            on && config.optimization.globalBatch == nil
                ? "needs --global-batch G: the global batch, not the rank count, then decides every bit" : nil
        })
    public static let microBatch = Setting(
        "--micro-batch", .optimization, \.optimization.microBatch, resume: .warn,
        help: "With --deterministic: rows per micro-batch; must divide --global-batch.",
        default: .text("the smallest divisor of G of at least 25"), note: "the shape of every product and the tree's leaves",
        text: describe,
        check: { rows, config in
            guard let rows else { return nil }
            guard config.optimization.deterministic else { return "goes with --deterministic" }
            guard let global = config.optimization.globalBatch, (1...global).contains(rows), global % rows == 0 else {
                return "must divide --global-batch \(describe(config.optimization.globalBatch))"
            }
            return nil
        })
    public static let sameBitsOn = Setting(
        "--same-bits-on", .optimization, \.optimization.sameBitsOn, resume: .warn,
        help: "With --deterministic: the rank counts that must end with the same bits, comma-separated (e.g. 1,2); the micro-batch is then the largest that divides over each (fewer micro-batches: faster).",
        default: .text("those of the default --micro-batch"), note: "the micro-batch, so the tree's leaves",
        text: { $0.map { $0.map(String.init).joined(separator: ",") } ?? "none" },
        check: { ranks, config in
            guard let ranks else { return nil }
            guard config.optimization.deterministic else { return "goes with --deterministic" }
            guard config.optimization.microBatch == nil else { return "give --micro-batch or --same-bits-on, not both" }
            guard !ranks.isEmpty, ranks.allSatisfy({ (1...limits.batch).contains($0) }) else {
                return "needs comma-separated rank counts of 1 to \(limits.batch), e.g. 1,2"
            }
            guard let global = config.optimization.globalBatch,
                  OptimizationSettings.microBatch(globalBatch: global, sameBitsOn: ranks) != nil else {
                return "the micro-batch count must be a multiple of every count, and no such count divides --global-batch \(describe(config.optimization.globalBatch))"
            }
            return nil
        })
    public static let targetAccuracy = Setting(
        "--target-accuracy", .optimization, \.optimization.targetAccuracy, resume: .free,
        help: "Stop at the first evaluation at or above this test accuracy (0.98 or 98); the summary gives time_to_target_seconds. --epochs stays the limit.",
        default: .none,
        note: "when to stop, not how to train; a run stopped at its target resumes from the step it met it", text: describe,
        check: { target, _ in
            target.map { $0 > 0 && $0 <= 1 } == false
                ? "must be above 0 and at most 1 (e.g. 0.98), or a percentage like 98" : nil
        })
    public static let targetEvalSteps = Setting(
        "--target-eval-steps", .optimization, \.optimization.targetEvalSteps, resume: .free,
        help: "With --target-accuracy: evaluate every N steps.",
        default: .text("as often as keeps evaluation within a tenth of the time, measured after epoch 0; epoch ends always"),
        text: describe,
        check: { steps, config in
            guard let steps else { return nil }
            guard config.optimization.targetAccuracy != nil else { return "needs --target-accuracy" }
            return (1...limits.steps).contains(steps) ? nil : "must be 1 to \(limits.steps)"
        })
    public static let earlyStopPatience = Setting(
        "--early-stop-patience", .optimization, \.optimization.earlyStopPatience, resume: .free,
        help: "Stop when the test accuracy has not improved on its best for N evaluations in a row (those of --eval-every or --target-accuracy); the last evaluation is the result.",
        default: .none, note: "when to stop, not how to train", text: describe,
        check: { patience, config in
            guard let patience else { return nil }
            guard (1...limits.epochs).contains(patience) else { return "must be 1 to \(limits.epochs)" }
            return config.reporting.evalEvery > 0 || config.optimization.targetAccuracy != nil
                ? nil : "needs evaluations during training: --eval-every N (N > 0) or --target-accuracy"
        })

    public static let optimization: [any AnySetting] = [
        epochs, batchSize, globalBatch, optimizer, learningRate, momentum, nesterov, beta1, beta2, epsilon, weightDecay,
        lrScaling, lrReferenceBatch, trustCoefficient, lrDecay, warmupEpochs, seed, deterministic, microBatch, sameBitsOn,
        targetAccuracy, targetEvalSteps, earlyStopPatience,
    ]
}
