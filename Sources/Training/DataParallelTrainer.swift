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
    /// Ten classes (digits, or Fashion-MNIST's garments).
    public static let classCount = 10
    /// The random stream of the data order in deterministic mode (one order for every rank; the
    /// other mode's streams carry the rank in these bits).
    static let sharedOrderStream: UInt64 = 0x4445_5445_0000_0000  // "DETE"

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

        let layout = MLPLayout(sizes: config.layerSizes(
            inputSize: DataParallelTrainer.inputSize, classCount: DataParallelTrainer.classCount))
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
        let watchdog = config.reliability.stallTimeout > 0
            ? try StallWatchdog(seconds: config.reliability.stallTimeout, communicator: communicator) : nil
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
        let observers = Observers(
            tensorboard: try makeTensorBoardWriter(resumedStep: config.reliability.resume ? resumedStep : nil),
            timeline: timeline,
            // Under `mnist-mpi elastic` (which passes the restarts file) rank 0 marks its progress.
            progressMarker: writesCheckpoint && config.reliability.restartsPath != nil
                ? config.reliability.checkpointPath.flatMap { ProgressMarker(checkpoint: $0) } : nil)
        try readRestarts(ranks: communicator.size, atStep: resumedStep, tensorboard: observers.tensorboard)
        let schedule = LearningRateSchedule(
            config, globalBatch: data.plan.batchSize * communicator.size, stepsPerEpoch: data.plan.stepsPerEpoch)
        // oneDNN makes its primitives here: a failure is agreed on, as every option error.
        // One micro-batch at a time (the whole rank's batch unless deterministic).
        let workspace = try communicator.agreeingOnFailure {
            try MLPWorkspace(
                model: model, capacity: data.plan.batchSize / exchange.microBatchesPerRank, kernels: kernels)
        }
        let evaluator = try communicator.agreeingOnFailure {
            try data.test.map { try Evaluator(examples: $0, model: model, kernels: kernels) }
        }
        logBanner(layout: layout, data: data, schedule: schedule, exchange: exchange, workspace: workspace,
                  dataSeconds: Communicator.wallTime() - startTime)

        installStopHandler()
        let tracker = config.optimization.targetAccuracy.map {
            TargetTracker(target: $0, evalSteps: config.optimization.targetEvalSteps, stepsPerEpoch: data.plan.stepsPerEpoch)
        }
        let epochs = try train(
            model: model, workspace: workspace, optimizer: optimizer, exchange: exchange, start: start, data: data,
            schedule: schedule, evaluator: evaluator, outputs: outputs, observers: observers, tracker: tracker)
        if let tracker { logTarget(tracker, epochsRun: epochs.count) }

        // A run that met its target ends with the model that met it, evaluated already.
        let test: TestResult
        if let reached = tracker?.reached {
            test = reached.test
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
            parameterFingerprint: ParameterFingerprint(model.parameters).text, target: tracker,
            checkpoints: (checkpointsWritten, checkpointSeconds), restarts: restarts)
        logFinish(summary, test: test)
        try communicator.agreeingOnFailure { try outputs?.writeSummary(summary) }
        return summary
    }

    // MARK: - The training loop

    private func train(
        model: MLP, workspace: MLPWorkspace, optimizer: Optimizer, exchange: GradientExchange, start: StartPoint,
        data: RankData,
        schedule: LearningRateSchedule, evaluator: Evaluator?, outputs: OutputFiles?, observers: Observers,
        tracker: TargetTracker?
    ) throws -> [EpochMetrics] {
        let config = configuration
        let plan = data.plan
        // Deterministic: every rank holds the whole set in one order for all ranks and takes its
        // slice of each global batch; otherwise its own shard in its own order.
        let deterministic = config.optimization.microBatching != nil
        let batches = deterministic
            ? BatchAssembler(
                examples: data.shard, batchSize: plan.batchSize, stepStride: plan.batchSize * communicator.size,
                offset: plan.batchSize * communicator.rank)
            : BatchAssembler(examples: data.shard, batchSize: plan.batchSize)
        let microBatches = exchange.microBatchesPerRank
        let microRows = plan.batchSize / microBatches
        let pixels = data.shard.pixelsPerImage
        // The sum's terms: one mean cost and gradient per micro-batch of every rank.
        let terms = communicator.size * microBatches
        let gradientScale = 1 / Float(terms)
        var history: [EpochMetrics] = []
        let progress = ProgressReporter(
            logger: logger, stepsPerEpoch: plan.stepsPerEpoch,
            samplesPerStep: plan.batchSize * communicator.size,
            totalSteps: max(0, (config.optimization.epochs - start.epoch) * plan.stepsPerEpoch - start.step))

        // A checkpoint past --epochs leaves nothing to train (and must not make a reversed range).
        for epoch in start.epoch..<max(start.epoch, config.optimization.epochs) {
            var random = RandomSource(
                seed: config.optimization.seed,
                stream: (deterministic ? DataParallelTrainer.sharedOrderStream : UInt64(communicator.rank) << 32)
                    | UInt64(epoch + 1))
            let epochStart = Communicator.wallTime()
            batches.shuffle(random: &random)
            let resuming = epoch == start.epoch
            // The summed cost of all ranks' batches (the same on every rank).
            var lossSum = resuming ? start.partialLoss : 0
            var computeSeconds = 0.0
            var allreduceSeconds = 0.0
            let productSecondsAtStart = workspace.productClock.seconds
            let firstStep = resuming ? min(start.step, plan.stepsPerEpoch) : 0
            // Steps of this epoch done (fewer than stepsPerEpoch when a target ends it early).
            var stepsDone = firstStep
            // Time spent evaluating inside the epoch (not steps: kept out of the step time).
            var epochEvaluationSeconds = 0.0
            if tracker?.firstStepTime == nil { tracker?.firstStepTime = epochStart }
            for step in firstStep..<plan.stepsPerEpoch {
                StallWatchdog.beat(epoch: epoch, step: step)
                // The optimizer step this is, 0-based over the whole run.
                let runStep = epoch * plan.stepsPerEpoch + step
                let computeStart = Communicator.wallTime()
                batches.assemble(step: step)
                for micro in 0..<microBatches {
                    let cost = model.forwardAndLoss(
                        input: batches.input.pointer + micro * microRows * pixels, labels: batches.labels + micro * microRows,
                        rows: microRows, workspace: workspace)
                    // The control values ride in the last layer's bucket, which backward finishes first.
                    exchange.setControls(cost: cost, stopRequested: stopSignal != 0)
                    try model.backward(workspace: workspace, afterLayer: { try exchange.layerReady($0) })
                    try exchange.microBatchDone(micro)
                }
                let reduceStart = Communicator.wallTime()
                StallWatchdog.arrive()
                try exchange.finish(step: runStep)
                let reduceEnd = Communicator.wallTime()
                let learningRate = schedule.rate(atStep: runStep)
                // Every rank sees the same summed cost, so every rank stops at the same step.
                let stepLoss = exchange.summedCost
                guard stepLoss.isFinite else {
                    throw collective(.nonFinite(epoch: epoch, step: step, learningRate: learningRate))
                }
                optimizer.step(
                    parameters: model.parameters, gradients: model.gradients,
                    gradientScale: gradientScale, learningRate: Float(learningRate))
                lossSum += stepLoss
                let stepEnd = Communicator.wallTime()
                computeSeconds += (reduceStart - computeStart) + (stepEnd - reduceEnd)
                allreduceSeconds += reduceEnd - reduceStart
                progress.stepDone(epoch: epoch, step: step, now: stepEnd)
                observers.progressMarker?.stepFinished(runStep + 1)
                if step == firstStep, epoch == start.epoch { noteFirstStepAfterRestart() }
                observers.timeline?.step(
                    epoch: epoch, step: step, computeStart: computeStart, reduceStart: reduceStart,
                    reduceEnd: reduceEnd, end: stepEnd)
                if let tensorboard = observers.tensorboard, config.reporting.tensorboardEvery > 0,
                   (runStep + 1) % config.reporting.tensorboardEvery == 0 {
                    tensorboard.scalar(TensorBoardTags.stepCost, stepLoss / Double(terms), step: runStep + 1)
                }
                if exchange.stopRequested {
                    try stop(model: model, optimizer: optimizer, reducer: exchange.reducer, epoch: epoch,
                             step: step + 1, partialLoss: lossSum, learningRate: learningRate)
                }
                stepsDone = step + 1
                let everySteps = config.reliability.checkpointEverySteps
                if everySteps > 0, (runStep + 1) % everySteps == 0, stepsDone < plan.stepsPerEpoch {
                    let checkpointStart = Communicator.wallTime()
                    try saveCheckpoint(
                        model: model, optimizer: optimizer, reducer: exchange.reducer, epoch: epoch, step: stepsDone,
                        partialLoss: lossSum, learningRate: learningRate, inBackground: true)
                    observers.timeline?.span(
                        .checkpoint, epoch: epoch, step: stepsDone, start: checkpointStart, end: Communicator.wallTime())
                }
                // The epoch's last step is evaluated (when due) by the epoch's end below.
                if let tracker, stepsDone < plan.stepsPerEpoch, tracker.isDue(afterStep: runStep) {
                    let evaluationStart = Communicator.wallTime()
                    let met = try evaluateForTarget(
                        tracker, model: model, evaluator: evaluator, afterStep: runStep,
                        stepSeconds: (evaluationStart - epochStart - epochEvaluationSeconds) / Double(stepsDone - firstStep),
                        timeline: observers.timeline, epoch: epoch, step: stepsDone)
                    epochEvaluationSeconds += Communicator.wallTime() - evaluationStart
                    if met { break }
                }
            }
            try testHooks.afterEpoch(epoch, rank: communicator.rank, parameters: model.parameters)
            // One small collective per epoch: timings summed over ranks.
            var totals = [computeSeconds, allreduceSeconds, workspace.productClock.seconds - productSecondsAtStart]
            try communicator.allReduce(&totals, .sum)
            let seconds = Communicator.wallTime() - epochStart
            let ranks = Double(communicator.size)
            // A target met inside the epoch ends it after `stepsDone` steps.
            let endedEarly = stepsDone < plan.stepsPerEpoch
            var metrics = EpochMetrics(
                epoch: epoch, cost: lossSum / (Double(max(stepsDone, 1)) * Double(terms)),
                testAccuracy: nil, seconds: seconds, computeSeconds: totals[0] / ranks,
                allreduceSeconds: totals[1] / ranks,
                samplesPerSecond: Double(plan.examplesPerRankPerEpoch) * ranks / seconds
                    * Double(stepsDone - firstStep) / Double(plan.stepsPerEpoch),
                learningRate: schedule.rate(atStep: epoch * plan.stepsPerEpoch + max(stepsDone, 1) - 1),
                productSeconds: totals[2] / ranks)

            let isLogPoint = epoch % config.reporting.logEvery == 0
            if isLogPoint { try checkParametersInSync(model, epoch: epoch) }
            if endedEarly {
                metrics.testAccuracy = tracker?.reached?.accuracy
            } else if let tracker {
                // With a target an epoch's end is evaluated when due (always after epoch 0).
                let runStep = (epoch + 1) * plan.stepsPerEpoch - 1
                if tracker.isDue(afterStep: runStep) {
                    _ = try evaluateForTarget(
                        tracker, model: model, evaluator: evaluator, afterStep: runStep,
                        stepSeconds: (seconds - epochEvaluationSeconds) / Double(max(1, stepsDone - firstStep)),
                        timeline: observers.timeline, epoch: epoch, step: plan.stepsPerEpoch)
                    metrics.testAccuracy = tracker.lastAccuracy
                }
            } else if config.reporting.evalEvery > 0, epoch % config.reporting.evalEvery == 0 {
                let evaluationStart = Communicator.wallTime()
                metrics.testAccuracy = try evaluate(model, with: evaluator).accuracy
                observers.timeline?.span(
                    .evaluate, epoch: epoch, step: plan.stepsPerEpoch, start: evaluationStart, end: Communicator.wallTime())
            }
            if isLogPoint || metrics.testAccuracy != nil { logEpoch(metrics) }
            try communicator.agreeingOnFailure {
                try outputs?.appendMetrics(metrics)
                try writeEpoch(metrics, step: (epoch + 1) * plan.stepsPerEpoch, to: observers.tensorboard)
            }
            history.append(metrics)
            let targetMet = tracker?.reached != nil
            // With --checkpoint-every-steps every epoch end is a checkpoint too (at most K steps redone).
            if targetMet || (epoch + 1) % config.reliability.checkpointEvery == 0
                || config.reliability.checkpointEverySteps > 0 || epoch + 1 == config.optimization.epochs {
                // A target met inside the epoch saves the model where it stands (a resume goes on
                // from that step); otherwise at the epoch's end.
                let (nextEpoch, nextStep, partialLoss) = endedEarly ? (epoch, stepsDone, lossSum) : (epoch + 1, 0, 0)
                let checkpointStart = Communicator.wallTime()
                try saveCheckpoint(
                    model: model, optimizer: optimizer, reducer: exchange.reducer, epoch: nextEpoch, step: nextStep,
                    partialLoss: partialLoss, learningRate: metrics.learningRate)
                observers.timeline?.span(
                    .checkpoint, epoch: nextEpoch, step: nextStep, start: checkpointStart, end: Communicator.wallTime())
            }
            StallWatchdog.beat(epoch: epoch + 1, step: 0)
            if targetMet { break }
        }
        return history
    }

    /// Ends the run at a step boundary after a stop request: a checkpoint first if asked for.
    private func stop(
        model: MLP, optimizer: Optimizer, reducer: any GradientReducer, epoch: Int, step: Int, partialLoss: Double,
        learningRate: Double
    ) throws -> Never {
        try saveCheckpoint(
            model: model, optimizer: optimizer, reducer: reducer, epoch: epoch, step: step, partialLoss: partialLoss,
            learningRate: learningRate)
        throw collective(.interrupted(
            signal: stopSignal != 0 ? stopSignal : SIGTERM, epoch: epoch, step: step,
            checkpoint: configuration.reliability.checkpointPath))
    }

    // MARK: - Evaluation and consistency

    /// One evaluation on the way to `--target-accuracy` (a collective: every rank calls it at
    /// the same step).
    ///
    /// - Returns: whether the target is met now.
    private func evaluateForTarget(
        _ tracker: TargetTracker, model: MLP, evaluator: Evaluator?, afterStep runStep: Int, stepSeconds: Double,
        timeline: TimelineRecorder?, epoch: Int, step: Int
    ) throws -> Bool {
        let evaluationStart = Communicator.wallTime()
        let test = try evaluate(model, with: evaluator)
        let evaluationEnd = Communicator.wallTime()
        timeline?.span(.evaluate, epoch: epoch, step: step, start: evaluationStart, end: evaluationEnd)
        // The largest of all ranks, so that every rank sets the same next interval.
        var times = [evaluationEnd - evaluationStart, stepSeconds]
        try communicator.allReduce(&times, .max)
        let met = tracker.evaluated(
            test, seconds: times[0], stepSeconds: times[1], afterStep: runStep, now: evaluationEnd)
        if met, let reached = tracker.reached, step < tracker.stepsPerEpoch {
            logger.info(String(format: "epoch %3d  step %d  test %.2f%%", epoch, step, reached.accuracy * 100))
        }
        return met
    }

    /// The test confusion matrix, every rank's part summed (a collective: every rank calls it;
    /// a rank without test examples adds zeros).
    private func evaluate(_ model: MLP, with evaluator: Evaluator?) throws -> TestResult {
        let classes = DataParallelTrainer.classCount
        var counts = evaluator?.confusionCounts(model: model)
            ?? [Int64](repeating: 0, count: classes * classes)
        try communicator.allReduce(&counts, .sum)
        return TestResult(classCount: classes, confusion: counts)
    }

    /// Stops the job if any rank's parameters differ from the others' (one collective).
    private func checkParametersInSync(_ model: MLP, epoch: Int) throws {
        let fingerprint = ParameterFingerprint(model.parameters)
        // max of x and of -x in one reduction gives max and min.
        var values = [fingerprint.high, fingerprint.low, -fingerprint.high, -fingerprint.low]
        try communicator.allReduce(&values, .max)
        guard values[0] == -values[2], values[1] == -values[3] else {
            throw collective(.parametersDiverged(epoch: epoch))
        }
    }

    private func writeRankParameters(_ model: MLP) throws {
        guard testHooks.rankParametersDirectory != nil else { return }
        try communicator.agreeingOnFailure {
            try testHooks.writeParameters(model.parameters.buffer, rank: communicator.rank)
        }
    }
}
