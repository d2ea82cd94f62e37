import MNISTData
import SwiftMPI
import NeuralNet
import RunOutput

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Synchronous data-parallel training of an MLP over all ranks of a communicator.
///
/// Each rank reads only its shard of the training set and takes the same number of steps per
/// epoch. A step is: local forward and backward on the rank's batch, one in-place allreduce
/// (sum) of the flat gradient buffer, and the same optimizer update on every rank with the
/// 1/ranks of averaging folded into it. Parameters (and optimizer state) therefore stay
/// bit-identical on all ranks; a fingerprint reduced with MIN and MAX checks that at every log
/// point.
public final class DataParallelTrainer {
    /// The run's settings (`reliability.resume` set by `run()` when `--auto-resume` finds a checkpoint).
    public private(set) var configuration: TrainingConfiguration
    public let communicator: Communicator
    let logger: Logger
    /// Test-only faults and dumps (`TestHooks.none` in every real run).
    let testHooks: TestHooks
    /// The gradient compression this run uses (`--compression auto` resolved), for checkpoints.
    var compressionRan: String? = nil
    /// Checkpoints written by this run and the seconds they took (rank 0's writes, every rank's wait).
    var checkpointsWritten = 0
    var checkpointSeconds = 0.0
    /// Whether this rank writes checkpoints (rank 0, or with `--checkpoint-copies node` the
    /// first rank of each node), and the rank whose copy a resume starts from.
    var writesCheckpoint = false
    var checkpointOwner = 0
    /// The writer ranks' writer of step-interval checkpoints.
    let backgroundWriter = BackgroundCheckpointWriter()
    /// The elastic job's restarts so far (`--restarts-file`; rank 0 reads it, empty elsewhere).
    var restarts: [RestartRecord] = []

    /// The model's input width (784 for 28×28 images).
    public static let inputSize = 784
    /// One MNIST image as the model's first layer reads it.
    public static let imageShape = ImageShape(height: 28, width: 28, channels: 1)
    /// Ten classes (digits, or Fashion-MNIST's garments).
    public static let classCount = 10

    public init(
        configuration: TrainingConfiguration, communicator: Communicator, logger: Logger, testHooks: TestHooks = .none
    ) {
        self.configuration = configuration
        self.communicator = communicator
        self.logger = logger
        self.testHooks = testHooks
    }

    /// Loads the data, trains for `configuration.optimization.epochs` epochs, evaluates and writes the
    /// outputs. Every rank must call it.
    ///
    /// - Returns: the run summary (the same on every rank; rank 0 also writes it).
    /// - Throws: `CollectiveFailure` for errors every rank agreed on (bad data, options,
    ///   paths), `TrainingError.parametersDiverged`, or `MPIError`.
    public func run() throws -> RunSummary {
        if configuration.reliability.checkpointPath != nil {
            writesCheckpoint = configuration.reliability.checkpointCopies == .everyNode
                ? try communicator.isFirstOnNode() : communicator.isRoot
        }
        configuration.reliability.resume = try decideResume()
        if configuration.reliability.resume { checkpointOwner = try newestCopyOwner() }
        let config = configuration
        setBLASThreads(config.compute.blasThreads)
        SubnormalFloats.setFlushed(config.compute.flushSubnormals)
        let startTime = Communicator.wallTime()
        let kernels = try communicator.agreeingOnFailure {
            try ComputeKernels.resolve(library: config.compute.kernels, precision: config.compute.precision, threads: config.compute.blasThreads)
        }
        if kernels.library == .onednn { OneDNN.setThreads(config.compute.blasThreads) }
        let data = try communicator.agreeingOnFailure { try loadData() }
        let outputs = try communicator.agreeingOnFailure {
            communicator.isRoot
                ? try OutputFiles(
                    summaryPath: config.reporting.summaryPath, metricsPath: config.reporting.metricsPath,
                    appendMetrics: config.reliability.resume)
                : nil
        }

        let layout = try config.layout()
        // The gradients and the control values (this step's summed cost, a stop request)
        // travel in one buffer, so one allreduce per step carries them all.
        // Collective and deterministic: every rank reaches the same verdict.
        let exchange: GradientExchange
        do {
            exchange = try GradientExchange(
                communicator: communicator, layout: layout, settings: config.communication, seed: config.optimization.seed,
                microBatches: config.optimization.microBatching?.count, resumedCompression: try resumedCompression())
            compressionRan = exchange.compressionChoice.compression.rawValue
        } catch let error as TrainingError {
            throw collective(error)
        }
        let stallSeconds = config.reliability.stallTimeout ?? StallTimeoutRule.initialSeconds
        let heartbeat = config.reliability.heartbeat.flatMap(HeartbeatAddress.init)
        let watchdog = stallSeconds > 0 || heartbeat != nil
            ? try StallWatchdog(
                seconds: stallSeconds, heartbeat: heartbeat.map { ($0.host, $0.port) }, communicator: communicator)
            : nil
        // The exchange's and the watchdog's collective clean-up runs where every rank is: after
        // success, or after a failure all ranks agreed on. A rank that failed alone must reach
        // MPI_Abort at once, not wait in MPI_Win_free for ranks that never come.
        // The timeline is gathered where every rank is too: at the end, or at an agreed stop.
        let summary: RunSummary
        var timeline: TimelineRecorder? = nil
        var timelinePending = true
        do {
            timeline = try makeTimelineRecorder()
            summary = try trainAndReport(
                layout: layout, kernels: kernels, data: data, outputs: outputs, exchange: exchange,
                startTime: startTime, timeline: timeline)
            timelinePending = false
            try writeTimeline(timeline)
        } catch let failure as CollectiveFailure {
            if timelinePending { try? writeTimeline(timeline) }
            watchdog?.stop()
            try? watchdog?.close()
            try? exchange.close()
            throw failure
        } catch {
            watchdog?.stop()
            throw error
        }
        try watchdog?.close()
        try exchange.close()
        return summary
    }

    /// Deterministic mode with dense layers in float32: a workspace for the rank's whole batch,
    /// whose one forward and backward pass gives every micro-batch its leaf's bits, where a
    /// start-up check on random batches finds the kernels compute each row alike at both sizes
    /// (every rank must agree: the ranks of one run use it, or none).
    private func makeLeafPasses(
        model: MLP, leafWorkspace: MLPWorkspace, rows: Int, exchange: GradientExchange
    ) throws -> MLPWorkspace? {
        guard exchange.microBatchesPerRank > 1, model.leafPassesApply(to: leafWorkspace.kernels),
            getenv("MNIST_MPI_LEAF_PASSES").map({ String(cString: $0) }) != "off"
        else { return nil }
        let batch = try communicator.agreeingOnFailure {
            try MLPWorkspace(model: model, capacity: rows, kernels: leafWorkspace.kernels, keepsLayerDeltas: true)
        }
        let matches = model.leafPassesMatch(batch: batch, leaf: leafWorkspace, leafRows: leafWorkspace.capacity)
        var everyRank = [Int32(matches ? 1 : 0)]
        try communicator.allReduce(&everyRank, .min)
        return everyRank[0] == 1 ? batch : nil
    }

    /// Everything after the exchange is made: the model, the loop, the test, the summary.
    private func trainAndReport(
        layout: MLPLayout, kernels: ComputeKernels, data: RankData, outputs: OutputFiles?, exchange: GradientExchange,
        startTime: Double, timeline: TimelineRecorder?
    ) throws -> RunSummary {
        let config = configuration
        let model = MLP(layout: layout, activation: config.model.activation, gradients: exchange.gradients)
        if communicator.isRoot {
            var random = RandomSource(seed: config.optimization.seed)
            model.initialize(config.model.initializer, random: &random)
        }
        try communicator.broadcast(model.parameters.buffer, root: 0)
        let optimizer = Optimizer(
            config.optimization.optimizer, parameterCount: layout.parameterCount, segments: layout.parameterSegments)
        let start = try prepareCheckpoint(model: model, optimizer: optimizer, reducer: exchange.reducer)
        let resumedStep = start.epoch * data.plan.stepsPerEpoch + start.step
        let tensorboard = try makeTensorBoardWriter(resumedStep: config.reliability.resume ? resumedStep : nil)
        try readRestarts(ranks: communicator.size, atStep: resumedStep, tensorboard: tensorboard)
        let schedule = LearningRateSchedule(
            config, globalBatch: data.plan.batchSize * communicator.size, stepsPerEpoch: data.plan.stepsPerEpoch)
        // oneDNN makes its primitives here: a failure is agreed on, as every option error.
        // One micro-batch at a time (the whole rank's batch unless deterministic).
        let workspace = try communicator.agreeingOnFailure {
            try MLPWorkspace(
                model: model, capacity: data.plan.batchSize / exchange.microBatchesPerRank, kernels: kernels)
        }
        // Deterministic: right leaves are added into their left siblings by backward itself,
        // where this machine's kernels do that bit for bit as the tree's addition.
        if exchange.microBatchesPerRank > 1, model.backwardAddsExactly(workspace: workspace, rows: workspace.capacity) {
            exchange.backwardAddsExactly()
        }
        let leafPasses = try makeLeafPasses(model: model, leafWorkspace: workspace, rows: data.plan.batchSize, exchange: exchange)
        let evaluator = try communicator.agreeingOnFailure {
            try data.test.map { try Evaluator(examples: $0, model: model, kernels: kernels) }
        }
        logBanner(layout: layout, data: data, schedule: schedule, exchange: exchange, workspace: workspace,
                  leafPasses: leafPasses != nil, dataSeconds: Communicator.wallTime() - startTime)

        installStopHandler()
        let target = config.optimization.targetAccuracy.map {
            TargetAccuracy(
                tracker: TargetTracker(
                    target: $0, evalSteps: config.optimization.targetEvalSteps, stepsPerEpoch: data.plan.stepsPerEpoch),
                communicator: communicator, logger: logger)
        }
        let stragglers = StragglerReport(logger: logger, tensorboard: tensorboard, logEvery: config.reporting.logEvery)
        let observers = makeObservers(
            model: model, plan: data.plan, outputs: outputs, tensorboard: tensorboard, timeline: timeline, target: target,
            stragglers: stragglers)
        let loop = TrainingLoop(
            model: model, workspace: workspace, leafPasses: leafPasses, optimizer: optimizer, exchange: exchange, data: data, schedule: schedule,
            communicator: communicator, epochs: config.optimization.epochs, seed: config.optimization.seed,
            sharedOrder: config.optimization.microBatching != nil, augmentShift: config.data.augmentShift, observers: observers,
            services: TrainingLoop.Services(
                evaluate: { [unowned self] in try evaluate(model, with: evaluator) },
                checkpoint: { [unowned self] position, partialLoss, learningRate, inBackground in
                    try saveCheckpoint(
                        model: model, optimizer: optimizer, reducer: exchange.reducer, epoch: position.epoch,
                        step: position.stepsDone, partialLoss: partialLoss, learningRate: learningRate,
                        inBackground: inBackground)
                },
                interrupted: { [unowned self] position in
                    collective(.interrupted(
                        signal: stopSignal != 0 ? stopSignal : SIGTERM, epoch: position.epoch, step: position.stepsDone,
                        checkpoint: configuration.reliability.checkpointPath))
                }))
        let epochs = try loop.run(
            from: LoopPosition(epoch: start.epoch, stepsDone: start.step, stepsPerEpoch: data.plan.stepsPerEpoch),
            partialLoss: start.partialLoss)

        // A run stopped on a request (a target met, early stopping) ends with the model of its
        // last evaluation, made where it stopped.
        let test: TestResult
        if loop.stoppedOnRequest, let last = loop.lastEvaluation, last.position == loop.finalPosition {
            test = last.test
        } else {
            let evaluationStart = Communicator.wallTime()
            test = try evaluate(model, with: evaluator)
            timeline?.span(.evaluate, epoch: config.optimization.epochs, step: 0, start: evaluationStart, end: Communicator.wallTime())
        }
        // Each rank fills its own slot; the sum gathers every rank's peak.
        var peaks = [Int64](repeating: 0, count: communicator.size)
        peaks[communicator.rank] = Int64(peakResidentBytes())
        try communicator.allReduce(&peaks, .sum)
        try writeRankParameters(model)

        let summary = RunSummary(
            configuration: config, ranks: communicator.size, plan: data.plan, layout: layout,
            epochs: epochs, test: test, peakRssBytesPerRank: peaks.map { Int($0) },
            allreduceMethod: exchange.methodDescription, compression: exchange.compressionChoice,
            exchangedBytesPerStep: exchange.bytesPerStep,
            exchangedValuesPerSum: exchange.valuesPerSum,
            kernels: workspace.kernels, kernelImplementations: workspace.implementations, schedule: schedule,
            parameterFingerprint: ParameterFingerprint(model.parameters).text, target: target?.tracker,
            checkpoints: (checkpointsWritten, checkpointSeconds), restarts: restarts,
            perRank: (stragglers.workSecondsPerRank, stragglers.waitSecondsPerRank), leafPasses: leafPasses != nil)
        logFinish(summary, test: test)
        try communicator.agreeingOnFailure { try outputs?.writeSummary(summary) }
        return summary
    }

    // MARK: - Evaluation

    /// The test confusion matrix, every rank's part summed (a collective: every rank calls it;
    /// a rank without test examples adds zeros).
    private func evaluate(_ model: MLP, with evaluator: Evaluator?) throws -> TestResult {
        let classes = DataParallelTrainer.classCount
        var counts = evaluator?.confusionCounts(model: model)
            ?? [Int64](repeating: 0, count: classes * classes)
        try communicator.allReduce(&counts, .sum)
        return TestResult(classCount: classes, confusion: counts)
    }

    private func writeRankParameters(_ model: MLP) throws {
        guard testHooks.rankParametersDirectory != nil else { return }
        try communicator.agreeingOnFailure {
            try testHooks.writeParameters(model.parameters.buffer, rank: communicator.rank)
        }
    }
}
