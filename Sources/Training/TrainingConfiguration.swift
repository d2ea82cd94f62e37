import MNISTData
import NeuralNet

/// Everything a training run needs to know, as the user set it (after presets were applied),
/// in sections that match the command line's option groups. Each section declares beside its
/// settings what a resume may change (`resumeRules`).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// The preset the defaults came from (`seed`).
    public var preset: String = "seed"
    public var model = ModelSettings()
    public var optimization = OptimizationSettings()
    public var data = DataSettings()
    public var communication = CommunicationSettings()
    public var compute = ComputeSettings()
    public var reporting = ReportingSettings()
    public var reliability = ReliabilitySettings()

    public init() {}

    /// Every setting's resume policy, section by section.
    public static let resumeRules: [ResumeRule] =
        ModelSettings.resumeRules + OptimizationSettings.resumeRules + DataSettings.resumeRules
        + CommunicationSettings.resumeRules + ComputeSettings.resumeRules + ReportingSettings.resumeRules
        + ReliabilitySettings.resumeRules

    /// The values a checkpoint keeps: every rule that is not `.free`, by option.
    public var resumeValues: [String: String] {
        var values: [String: String] = [:]
        for rule in Self.resumeRules where rule.policy != .free { values[rule.option] = rule.value(self) }
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

    /// Layer widths from input to output for `inputSize` pixels and `classCount` classes.
    public func layerSizes(inputSize: Int, classCount: Int) -> [Int] {
        [inputSize] + model.hiddenSizes + [classCount]
    }

    /// The largest values `validate` accepts.
    public static let limits = (
        epochs: 1_000_000, batch: 1 << 24, hiddenLayers: 62, width: 1 << 20, stallSeconds: 31_536_000.0,
        steps: 1 << 40, timelineSteps: 1_000_000)

    /// Checks the values a command line can get wrong.
    ///
    /// - Throws: `TrainingError.invalidOption` naming the option, the value and what is allowed.
    public func validate() throws {
        func fail(_ option: String, _ value: Any, _ rule: String) -> TrainingError {
            .invalidOption(option: option, value: "\(value)", rule: rule)
        }
        // Upper bounds keep every product of these (steps of a run, global batch, warm-up
        // steps, parameter counts) far inside Int: mnist-mpi-fuzz found `--epochs 2^63-1`
        // trapping in epochs x steps per epoch.
        let limits = Self.limits
        let (epochs, batchSize, globalBatch) = (optimization.epochs, optimization.batchSize, optimization.globalBatch)
        let (learningRate, warmupEpochs, lrReferenceBatch) =
            (optimization.learningRate, optimization.warmupEpochs, optimization.lrReferenceBatch)
        let (optimizer, initializer, hiddenSizes) = (optimization.optimizer, model.initializer, model.hiddenSizes)
        let (logEvery, evalEvery, tensorboardEvery, timelineSteps) =
            (reporting.logEvery, reporting.evalEvery, reporting.tensorboardEvery, reporting.timelineSteps)
        let (checkpointEvery, resume, checkpointPath, stallTimeout) =
            (reliability.checkpointEvery, reliability.resume, reliability.checkpointPath, reliability.stallTimeout)
        let (powerSGDRank, powerSGDWarmupSteps) = (communication.powerSGDRank, communication.powerSGDWarmupSteps)
        let (trainLimit, testLimit, blasThreads) = (data.trainLimit, data.testLimit, compute.blasThreads)
        guard (1...limits.epochs).contains(epochs) else {
            throw fail("--epochs", epochs, "must be 1 to \(limits.epochs)")
        }
        guard (1...limits.batch).contains(batchSize) else {
            throw fail("--batch-size", batchSize, "must be 1 to \(limits.batch)")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw fail("--lr", learningRate, "must be a positive finite number")
        }
        guard logEvery >= 1 else { throw fail("--log-every", logEvery, "must be at least 1") }
        guard evalEvery >= 0 else { throw fail("--eval-every", evalEvery, "must be 0 (only at the end) or more") }
        if let target = optimization.targetAccuracy, !(target > 0 && target <= 1) {
            throw fail("--target-accuracy", target, "must be above 0 and at most 1 (e.g. 0.98), or a percentage like 98")
        }
        if let steps = optimization.targetEvalSteps {
            guard optimization.targetAccuracy != nil else {
                throw fail("--target-eval-steps", steps, "needs --target-accuracy")
            }
            guard (1...limits.steps).contains(steps) else {
                throw fail("--target-eval-steps", steps, "must be 1 to \(limits.steps)")
            }
        }
        if let patience = optimization.earlyStopPatience {
            guard (1...limits.epochs).contains(patience) else {
                throw fail("--early-stop-patience", patience, "must be 1 to \(limits.epochs)")
            }
            guard evalEvery > 0 || optimization.targetAccuracy != nil else {
                throw fail("--early-stop-patience", patience, "needs evaluations during training: --eval-every N (N > 0) or --target-accuracy")
            }
        }
        if let globalBatch, !(1...limits.batch).contains(globalBatch) {
            throw fail("--global-batch", globalBatch, "must be 1 to \(limits.batch)")
        }
        if let warmupEpochs, !(warmupEpochs >= 0 && warmupEpochs <= Double(limits.epochs)) {
            throw fail("--warmup-epochs", warmupEpochs, "must be a number from 0 to \(limits.epochs)")
        }
        if let lrReferenceBatch, !(1...limits.batch).contains(lrReferenceBatch) {
            throw fail("--lr-reference-batch", lrReferenceBatch, "must be 1 to \(limits.batch)")
        }
        if case .normal(let deviation) = initializer, !(deviation > 0 && deviation.isFinite) {
            throw fail("--init-std", deviation, "must be a positive finite number")
        }
        if let problem = optimizer.problem { throw fail(problem.option, problem.value, problem.rule) }
        guard blasThreads >= 1 else { throw fail("--blas-threads", blasThreads, "must be at least 1") }
        guard (1...limits.hiddenLayers).contains(hiddenSizes.count),
              hiddenSizes.allSatisfy({ (1...limits.width).contains($0) }) else {
            throw fail("--hidden", hiddenSizes,
                       "needs 1 to \(limits.hiddenLayers) widths of 1 to \(limits.width), e.g. 256,256")
        }
        guard checkpointEvery >= 1 else {
            throw fail("--checkpoint-every", checkpointEvery, "must be at least 1")
        }
        if resume, checkpointPath == nil {
            throw fail("--resume", "", "needs --checkpoint FILE to resume from")
        }
        if reliability.existingCheckpoint != .refuse, checkpointPath == nil {
            let option = reliability.existingCheckpoint == .resume ? "--auto-resume" : "--overwrite-checkpoint"
            throw fail(option, "", "needs --checkpoint FILE")
        }
        guard (0...limits.steps).contains(reliability.checkpointEverySteps) else {
            throw fail("--checkpoint-every-steps", reliability.checkpointEverySteps, "must be 0 (epoch ends only) to \(limits.steps)")
        }
        guard stallTimeout >= 0, stallTimeout <= limits.stallSeconds else {
            throw fail("--stall-timeout", stallTimeout, "must be 0 (never) to \(Int(limits.stallSeconds)) seconds")
        }
        guard (1...limits.width).contains(powerSGDRank) else {
            throw fail("--powersgd-rank", powerSGDRank, "must be 1 to \(limits.width)")
        }
        guard (0...limits.steps).contains(powerSGDWarmupSteps) else {
            throw fail("--powersgd-warmup-steps", powerSGDWarmupSteps, "must be 0 to \(limits.steps)")
        }
        if communication.compression == .powerSGD, communication.overlap {
            throw fail("--compression", "powersgd", "does not combine with --overlap (its two sums need the whole gradient)")
        }
        guard (0...limits.steps).contains(tensorboardEvery) else {
            throw fail("--tensorboard-every", tensorboardEvery, "must be 0 (per epoch only) to \(limits.steps) steps")
        }
        guard (1...limits.timelineSteps).contains(timelineSteps) else {
            throw fail("--timeline-steps", timelineSteps, "must be 1 to \(limits.timelineSteps)")
        }
        if optimization.deterministic {
            guard let globalBatch else {
                throw fail("--deterministic", "", "needs --global-batch G: the global batch, not the rank count, then decides every bit")
            }
            if let microBatch = optimization.microBatch, !(1...globalBatch).contains(microBatch) || globalBatch % microBatch != 0 {
                throw fail("--micro-batch", microBatch, "must divide --global-batch \(globalBatch)")
            }
        } else if let microBatch = optimization.microBatch {
            throw fail("--micro-batch", microBatch, "goes with --deterministic")
        }
        if let trainLimit, trainLimit < 1 { throw fail("--train-limit", trainLimit, "must be at least 1") }
        if let testLimit, testLimit < 1 { throw fail("--test-limit", testLimit, "must be at least 1") }
    }
}
