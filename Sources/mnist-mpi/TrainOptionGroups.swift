import ArgumentParser
import NeuralNet
import Training

// The option groups of `mnist-mpi train`, one per section of `TrainingConfiguration`. Every
// option takes its name and help from its setting's one declaration (`Settings`, in
// Sources/Training/Settings/), and applies a given value through it: a value not given keeps
// the preset's, a given one is never reset by the preset.

/// The option named and described by `setting` (its help shows the presets' default).
func name<Value>(_ setting: Setting<Value>) -> NameSpecification { .customLong(setting.name) }
func help<Value>(_ setting: Setting<Value>, valueName: String? = nil) -> ArgumentHelp {
    ArgumentHelp(setting.help, valueName: valueName)
}

/// `train`'s model options, applied onto `ModelSettings`.
struct ModelOptions: ParsableArguments {
    @Option(name: name(Settings.modelLayers), help: help(Settings.modelLayers))
    var model: String?

    @Option(name: name(Settings.hidden), help: help(Settings.hidden))
    var hidden: String?

    @Option(name: name(Settings.activation), help: help(Settings.activation))
    var activation: Activation?

    @Option(name: name(Settings.initializer), help: help(Settings.initializer))
    var initializer: InitializerName?

    @Option(name: name(Settings.initStd), help: help(Settings.initStd))
    var initStd: Double?

    /// The layers `--model` names; nil when it is not given or names the multilayer perceptron.
    func layers() throws -> [LayerSpec]? {
        guard let model else { return nil }
        do throws(LayoutError) {
            return try NamedModel.layers(named: model)
        } catch {
            throw ValidationError("--model \(model): \(error.message)")
        }
    }

    /// Sets the options given; the rest keep the preset's values.
    func apply(to config: inout TrainingConfiguration) throws {
        if model != nil { config.model.layers = try layers() }
        config.set(Settings.hidden, given: try hidden.map(ModelOptions.parseWidths))
        config.set(Settings.activation, given: activation)
        if let initializer {
            config.set(Settings.initializer, given: initializer.initializer(standardDeviation: initStd ?? 1))
        } else if let initStd {
            config.set(Settings.initStd, given: .normal(standardDeviation: initStd))
        }
    }

    static func parseWidths(_ text: String) throws -> [Int] {
        try parsePositiveList(text, option: "--hidden", what: "widths", example: "256,256")
    }

    /// Comma-separated positive integers, e.g. "256,256"; else the option's one line.
    static func parsePositiveList(_ text: String, option: String, what: String, example: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("\(option) \(text): needs comma-separated positive \(what), e.g. \(example)")
        }
        return values
    }
}

/// `train`'s optimization options, applied onto `OptimizationSettings`.
struct OptimizationOptions: ParsableArguments {
    @Option(name: name(Settings.epochs), help: help(Settings.epochs))
    var epochs: Int?

    @Option(name: name(Settings.batchSize), help: help(Settings.batchSize))
    var batchSize: Int?

    @Option(name: name(Settings.globalBatch), help: help(Settings.globalBatch))
    var globalBatch: Int?

    @Option(name: name(Settings.optimizer), help: help(Settings.optimizer))
    var optimizer: OptimizerConfiguration.Kind?

    @Option(name: name(Settings.learningRate), help: help(Settings.learningRate))
    var lr: Double?

    @Option(name: name(Settings.momentum), help: help(Settings.momentum))
    var momentum: Double?

    @Flag(name: name(Settings.nesterov), help: help(Settings.nesterov))
    var nesterov = false

    @Option(name: name(Settings.beta1), help: help(Settings.beta1))
    var beta1: Double?

    @Option(name: name(Settings.beta2), help: help(Settings.beta2))
    var beta2: Double?

    @Option(name: name(Settings.epsilon), help: help(Settings.epsilon))
    var epsilon: Double?

    @Option(name: name(Settings.weightDecay), help: help(Settings.weightDecay))
    var weightDecay: Double?

    @Option(name: name(Settings.lrScaling), help: help(Settings.lrScaling))
    var lrScaling: LearningRateScaling?

    @Option(name: name(Settings.lrReferenceBatch), help: help(Settings.lrReferenceBatch))
    var lrReferenceBatch: Int?

    @Option(name: name(Settings.trustCoefficient), help: help(Settings.trustCoefficient))
    var trustCoefficient: Double?

    @Option(name: name(Settings.lrDecay), help: help(Settings.lrDecay))
    var lrDecay: LearningRateDecay?

    @Option(name: name(Settings.warmupEpochs), help: help(Settings.warmupEpochs))
    var warmupEpochs: Double?

    @Option(name: name(Settings.seed), help: help(Settings.seed))
    var seed: UInt64?

    @Flag(name: name(Settings.deterministic), help: help(Settings.deterministic))
    var deterministic = false

    @Option(name: name(Settings.microBatch), help: help(Settings.microBatch))
    var microBatch: Int?

    @Option(name: name(Settings.sameBitsOn), help: help(Settings.sameBitsOn))
    var sameBitsOn: String?

    @Option(name: name(Settings.targetAccuracy), help: help(Settings.targetAccuracy))
    var targetAccuracy: Double?

    @Option(name: name(Settings.targetEvalSteps), help: help(Settings.targetEvalSteps))
    var targetEvalSteps: Int?

    @Option(name: name(Settings.earlyStopPatience), help: help(Settings.earlyStopPatience))
    var earlyStopPatience: Int?

    /// Sets the options given; the rest keep the preset's values.
    func apply(to config: inout TrainingConfiguration) throws {
        config.set(Settings.epochs, given: epochs)
        config.set(Settings.batchSize, given: batchSize)
        config.set(Settings.globalBatch, given: globalBatch)
        config.set(Settings.optimizer, given: optimizer)
        config.set(Settings.learningRate, given: lr)
        config.set(Settings.momentum, given: momentum)
        config.set(Settings.nesterov, given: nesterov ? true : nil)
        config.set(Settings.beta1, given: beta1)
        config.set(Settings.beta2, given: beta2)
        config.set(Settings.epsilon, given: epsilon)
        config.set(Settings.weightDecay, given: weightDecay)
        config.set(Settings.lrScaling, given: lrScaling)
        config.set(Settings.lrReferenceBatch, given: lrReferenceBatch)
        config.set(Settings.trustCoefficient, given: trustCoefficient)
        config.set(Settings.lrDecay, given: lrDecay)
        config.set(Settings.warmupEpochs, given: warmupEpochs)
        config.set(Settings.seed, given: seed)
        config.set(Settings.deterministic, given: deterministic ? true : nil)
        config.set(Settings.microBatch, given: microBatch)
        config.set(Settings.sameBitsOn, given: try sameBitsOn.map {
            try ModelOptions.parsePositiveList($0, option: "--same-bits-on", what: "rank counts", example: "1,2")
        })
        // 98 means 98%: a value above 1 and at most 100 is a percentage.
        config.set(Settings.targetAccuracy, given: targetAccuracy.map { $0 > 1 && $0 <= 100 ? $0 / 100 : $0 })
        config.set(Settings.targetEvalSteps, given: targetEvalSteps)
        config.set(Settings.earlyStopPatience, given: earlyStopPatience)
    }
}

/// `train`'s communication options, applied onto `CommunicationSettings`.
struct CommunicationOptions: ParsableArguments {
    @Flag(name: name(Settings.overlap), help: help(Settings.overlap))
    var overlap = false

    @Option(name: name(Settings.compression), help: help(Settings.compression))
    var compression: GradientCompression?

    @Option(name: name(Settings.powerSGDRank), help: help(Settings.powerSGDRank))
    var powersgdRank: Int?

    @Option(name: name(Settings.powerSGDWarmupSteps), help: help(Settings.powerSGDWarmupSteps))
    var powersgdWarmupSteps: Int?

    @Option(name: name(Settings.allReduce), help: help(Settings.allReduce))
    var allreduce: AllReduceMethod?

    /// Sets the options given; the rest keep the preset's values.
    func apply(to config: inout TrainingConfiguration) {
        config.set(Settings.overlap, given: overlap ? true : nil)
        config.set(Settings.compression, given: compression)
        config.set(Settings.powerSGDRank, given: powersgdRank)
        config.set(Settings.powerSGDWarmupSteps, given: powersgdWarmupSteps)
        config.set(Settings.allReduce, given: allreduce)
    }
}

/// `train`'s compute options, applied onto `ComputeSettings`.
struct ComputeOptions: ParsableArguments {
    @Option(name: name(Settings.blasThreads), help: help(Settings.blasThreads))
    var blasThreads: Int?

    @Option(name: name(Settings.kernels), help: help(Settings.kernels))
    var kernels: KernelChoice?

    @Option(name: name(Settings.precision), help: help(Settings.precision))
    var precision: Precision?

    @Flag(name: name(Settings.keepSubnormals), help: help(Settings.keepSubnormals))
    var keepSubnormals = false

    /// Sets the options given; the rest keep the preset's values.
    func apply(to config: inout TrainingConfiguration) {
        config.set(Settings.blasThreads, given: blasThreads)
        // --kernels auto is the unset value (nil): the library is chosen at run time.
        if let kernels { config[keyPath: Settings.kernels.keyPath] = kernels.library }
        config.set(Settings.precision, given: precision)
        // The flag keeps subnormals: it turns flushing off.
        config.set(Settings.keepSubnormals, given: keepSubnormals ? false : nil)
    }
}

/// `train`'s logging and outputs options, applied onto `ReportingSettings`.
struct ReportingOptions: ParsableArguments {
    @Option(name: name(Settings.logEvery), help: help(Settings.logEvery))
    var logEvery: Int?

    @Option(name: name(Settings.evalEvery), help: help(Settings.evalEvery))
    var evalEvery: Int?

    @Option(name: name(Settings.evaluation), help: help(Settings.evaluation))
    var evaluation: EvaluationMode?

    @Option(name: name(Settings.progress), help: help(Settings.progress))
    var progress: ProgressMode?

    @Option(name: name(Settings.summary), help: help(Settings.summary))
    var summary: String?

    @Option(name: name(Settings.metrics), help: help(Settings.metrics))
    var metrics: String?

    @Option(name: name(Settings.tensorboard), help: help(Settings.tensorboard, valueName: "dir"))
    var tensorboard: String?

    @Option(name: name(Settings.tensorboardEvery), help: help(Settings.tensorboardEvery))
    var tensorboardEvery: Int?

    @Option(name: name(Settings.timeline), help: help(Settings.timeline, valueName: "file"))
    var timeline: String?

    @Option(name: name(Settings.timelineSteps), help: help(Settings.timelineSteps))
    var timelineSteps: Int?

    /// Sets the options given; the rest keep the preset's values.
    func apply(to config: inout TrainingConfiguration) {
        config.set(Settings.logEvery, given: logEvery)
        config.set(Settings.evalEvery, given: evalEvery)
        config.set(Settings.evaluation, given: evaluation)
        config.set(Settings.progress, given: progress)
        config.set(Settings.summary, given: summary)
        config.set(Settings.metrics, given: metrics)
        config.set(Settings.tensorboard, given: tensorboard)
        config.set(Settings.tensorboardEvery, given: tensorboardEvery)
        config.set(Settings.timeline, given: timeline)
        config.set(Settings.timelineSteps, given: timelineSteps)
    }
}

/// `train`'s checkpoints and failures options, applied onto `ReliabilitySettings`.
struct ReliabilityOptions: ParsableArguments {
    @Option(name: name(Settings.checkpoint), help: help(Settings.checkpoint))
    var checkpoint: String?

    @Option(name: name(Settings.checkpointEvery), help: help(Settings.checkpointEvery))
    var checkpointEvery: Int?

    @Option(name: name(Settings.checkpointEverySteps), help: help(Settings.checkpointEverySteps))
    var checkpointEverySteps: Int?

    @Flag(exclusivity: .exclusive, help: help(Settings.checkpointStart))
    var checkpointStart: CheckpointStart?

    @Option(name: name(Settings.checkpointCopies), help: help(Settings.checkpointCopies))
    var checkpointCopies: CheckpointCopies?

    /// Set by `mnist-mpi elastic`, not by users.
    @Option(name: name(Settings.restartsFile), help: .hidden)
    var restartsFile: String?

    @Option(name: name(Settings.stallTimeout), help: help(Settings.stallTimeout))
    var stallTimeout: Double?

    /// Set by `mnist-mpi elastic`, not by users.
    @Option(name: name(Settings.heartbeat), help: .hidden)
    var heartbeat: String?

    /// Sets the options given; the rest keep the preset's values.
    func apply(to config: inout TrainingConfiguration) {
        config.set(Settings.checkpoint, given: checkpoint)
        config.set(Settings.checkpointEvery, given: checkpointEvery)
        config.set(Settings.checkpointEverySteps, given: checkpointEverySteps)
        config.set(Settings.checkpointStart, given: checkpointStart)
        config.set(Settings.checkpointCopies, given: checkpointCopies)
        config.set(Settings.restartsFile, given: restartsFile)
        config.set(Settings.stallTimeout, given: stallTimeout)
        config.set(Settings.heartbeat, given: heartbeat)
    }
}

extension CheckpointStart: EnumerableFlag {}
