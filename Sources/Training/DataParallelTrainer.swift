import MNISTData
import SwiftMPI
import NeuralNet
import RunOutput

/// Synchronous data-parallel training of a neural network over all ranks of a communicator.
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
        try decideCheckpointRoles()
        let startTime = Communicator.wallTime()
        let (kernels, data, outputs) = try prepareInputs()
        let layout = try configuration.layout()
        let exchange = try makeExchange(layout: layout)
        let watchdog = try makeWatchdog()
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

    /// Which ranks write checkpoints, whether this run resumes, and from whose copy.
    private func decideCheckpointRoles() throws {
        if configuration.reliability.checkpointPath != nil {
            writesCheckpoint = configuration.reliability.checkpointCopies == .everyNode
                ? try communicator.isFirstOnNode() : communicator.isRoot
        }
        configuration.reliability.resume = try decideResume()
        if configuration.reliability.resume { checkpointOwner = try newestCopyOwner() }
    }

    /// The threads and float controls set, then what every rank agrees on before the model:
    /// the kernels, this rank's data, rank 0's output files.
    private func prepareInputs() throws -> (ComputeKernels, RankData, OutputFiles?) {
        let config = configuration
        setBLASThreads(config.compute.blasThreads)
        SubnormalFloats.setFlushed(config.compute.flushSubnormals)
        let kernels = try communicator.agreeingOnFailure {
            try ComputeKernels.resolve(
                library: config.compute.kernels, precision: config.compute.precision, threads: config.compute.blasThreads)
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
        return (kernels, data, outputs)
    }

    /// The gradients and the control values (this step's summed cost, a stop request) travel
    /// in one buffer, so one allreduce per step carries them all. Collective and
    /// deterministic: every rank reaches the same verdict.
    private func makeExchange(layout: NetworkLayout) throws -> GradientExchange {
        let config = configuration
        do {
            let exchange = try GradientExchange(
                communicator: communicator, layout: layout, settings: config.communication, seed: config.optimization.seed,
                microBatches: config.optimization.microBatching?.count, resumedCompression: try resumedCompression())
            compressionRan = exchange.compressionChoice.compression.rawValue
            return exchange
        } catch let error as TrainingError {
            throw collective(error)
        }
    }

    /// The stall watchdog (and the elastic supervisor's heartbeat), unless both are off.
    private func makeWatchdog() throws -> StallWatchdog? {
        let stallSeconds = configuration.reliability.stallTimeout ?? StallTimeoutRule.initialSeconds
        let heartbeat = configuration.reliability.heartbeat.flatMap(HeartbeatAddress.init)
        guard stallSeconds > 0 || heartbeat != nil else { return nil }
        return try StallWatchdog(
            seconds: stallSeconds, heartbeat: heartbeat.map { ($0.host, $0.port) }, communicator: communicator)
    }

    /// Everything after the exchange is made: the run's parts, the loop, the test, the summary.
    private func trainAndReport(
        layout: NetworkLayout, kernels: ComputeKernels, data: RankData, outputs: OutputFiles?, exchange: GradientExchange,
        startTime: Double, timeline: TimelineRecorder?
    ) throws -> RunSummary {
        let parts = try assembleRun(
            layout: layout, kernels: kernels, data: data, outputs: outputs, exchange: exchange, startTime: startTime,
            timeline: timeline)
        installStopHandler()
        let loop = makeLoop(parts, data: data, exchange: exchange)
        let epochs = try loop.run(
            from: LoopPosition(epoch: parts.start.epoch, stepsDone: parts.start.step, stepsPerEpoch: data.plan.stepsPerEpoch),
            partialLoss: parts.start.partialLoss)
        let test = try finalTest(after: loop, parts: parts, timeline: timeline)
        return try report(
            parts, epochs: epochs, test: test, layout: layout, plan: data.plan, exchange: exchange, outputs: outputs)
    }

    /// The test of the final model. A run stopped on a request (a target met, early stopping)
    /// ends with the model of its last evaluation, made where it stopped.
    private func finalTest(after loop: TrainingLoop, parts: RunParts, timeline: TimelineRecorder?) throws -> TestResult {
        if loop.stoppedOnRequest, let last = loop.lastEvaluation, last.position == loop.finalPosition {
            return last.test
        }
        let evaluationStart = Communicator.wallTime()
        let test = try evaluate(parts.model, with: parts.evaluator)
        timeline?.span(
            .evaluate, epoch: configuration.optimization.epochs, step: 0, start: evaluationStart, end: Communicator.wallTime())
        return test
    }

    /// Every rank's peak memory gathered, the parameters dumped for tests, then the summary:
    /// logged, written by rank 0 and returned on every rank.
    private func report(
        _ parts: RunParts, epochs: [EpochMetrics], test: TestResult, layout: NetworkLayout, plan: ShardPlan,
        exchange: GradientExchange, outputs: OutputFiles?
    ) throws -> RunSummary {
        // Each rank fills its own slot; the sum gathers every rank's peak.
        var peaks = [Int64](repeating: 0, count: communicator.size)
        peaks[communicator.rank] = Int64(peakResidentBytes())
        try communicator.allReduce(&peaks, .sum)
        try writeRankParameters(parts.model)

        let summary = RunSummary(
            configuration: configuration, ranks: communicator.size, plan: plan, layout: layout,
            epochs: epochs, test: test, peakRssBytesPerRank: peaks.map { Int($0) },
            allreduceMethod: exchange.methodDescription, compression: exchange.compressionChoice,
            exchangedBytesPerStep: exchange.bytesPerStep,
            exchangedValuesPerSum: exchange.valuesPerSum,
            kernels: parts.workspace.kernels, kernelImplementations: parts.workspace.implementations,
            schedule: parts.schedule, parameterFingerprint: ParameterFingerprint(parts.model.parameters).text,
            target: parts.target?.tracker, checkpoints: (checkpointsWritten, checkpointSeconds), restarts: restarts,
            perRank: (parts.stragglers.workSecondsPerRank, parts.stragglers.waitSecondsPerRank),
            leafPasses: parts.leafPasses != nil)
        logFinish(summary, test: test)
        try communicator.agreeingOnFailure { try outputs?.writeSummary(summary) }
        return summary
    }

    // MARK: - Evaluation

    /// The test confusion matrix, every rank's part summed (a collective: every rank calls it;
    /// a rank without test examples adds zeros).
    func evaluate(_ model: Network, with evaluator: Evaluator?) throws -> TestResult {
        let classes = DataParallelTrainer.classCount
        var counts = evaluator?.confusionCounts(model: model)
            ?? [Int64](repeating: 0, count: classes * classes)
        try communicator.allReduce(&counts, .sum)
        return TestResult(classCount: classes, confusion: counts)
    }

    private func writeRankParameters(_ model: Network) throws {
        guard testHooks.rankParametersDirectory != nil else { return }
        try communicator.agreeingOnFailure {
            try testHooks.writeParameters(model.parameters.buffer, rank: communicator.rank)
        }
    }
}
