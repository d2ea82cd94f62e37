import MNISTData
import NeuralNet
import RunOutput
import SwiftMPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parts of one run, made from the configuration before its first step: what the loop
/// runs, and what the report reads afterwards.
struct RunParts {
    let model: Network
    let optimizer: Optimizer
    /// Where the run starts: epoch 0 step 0, or the checkpoint's position.
    let start: DataParallelTrainer.StartPoint
    let schedule: LearningRateSchedule
    /// One micro-batch at a time (the rank's whole batch unless deterministic).
    let workspace: NetworkWorkspace
    /// Deterministic mode's one pass over the rank's batch, where the kernels allow it.
    let leafPasses: NetworkWorkspace?
    let evaluator: Evaluator?
    let target: TargetAccuracy?
    let stragglers: StragglerReport
    let observers: [any TrainingObserver]
}

extension DataParallelTrainer {
    /// Everything the loop needs, in the order the data flows: the model and its optimizer
    /// (resumed where a checkpoint says), the outputs that count steps, the schedule, the
    /// workspaces and evaluator, the banner, then the observers.
    func assembleRun(
        layout: NetworkLayout, kernels: ComputeKernels, data: RankData, outputs: OutputFiles?,
        exchange: GradientExchange, startTime: Double, timeline: TimelineRecorder?
    ) throws -> RunParts {
        let config = configuration
        let (model, optimizer) = try makeModel(layout: layout, gradients: exchange.gradients)
        let start = try prepareCheckpoint(model: model, optimizer: optimizer, reducer: exchange.reducer)
        let resumedStep = start.epoch * data.plan.stepsPerEpoch + start.step
        let tensorboard = try makeTensorBoardWriter(resumedStep: config.reliability.resume ? resumedStep : nil)
        try readRestarts(ranks: communicator.size, atStep: resumedStep, tensorboard: tensorboard)
        let schedule = LearningRateSchedule(
            config, globalBatch: data.plan.batchSize * communicator.size, stepsPerEpoch: data.plan.stepsPerEpoch)
        let (workspace, leafPasses) = try makeWorkspaces(model: model, kernels: kernels, plan: data.plan, exchange: exchange)
        let evaluator = try communicator.agreeingOnFailure {
            try data.test.map { try Evaluator(examples: $0, model: model, kernels: kernels) }
        }
        logBanner(layout: layout, data: data, schedule: schedule, exchange: exchange, workspace: workspace,
                  leafPasses: leafPasses != nil, dataSeconds: Communicator.wallTime() - startTime)
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
        return RunParts(
            model: model, optimizer: optimizer, start: start, schedule: schedule, workspace: workspace,
            leafPasses: leafPasses, evaluator: evaluator, target: target, stragglers: stragglers, observers: observers)
    }

    /// The model (rank 0 initialises, every rank receives its parameters) and its optimizer.
    private func makeModel(layout: NetworkLayout, gradients: FloatBuffer) throws -> (Network, Optimizer) {
        let config = configuration
        let model = Network(layout: layout, activation: config.model.activation, gradients: gradients)
        if communicator.isRoot {
            var random = RandomSource(seed: config.optimization.seed)
            model.initialize(config.model.initializer, random: &random)
        }
        try communicator.broadcast(model.parameters.buffer, root: 0)
        let optimizer = Optimizer(
            config.optimization.optimizer, parameterCount: layout.parameterCount, segments: layout.parameterSegments)
        return (model, optimizer)
    }

    /// The step's workspace and, in deterministic mode where the kernels allow it, the leaf
    /// passes' workspace. oneDNN makes its primitives here: a failure is agreed on, as every
    /// option error.
    private func makeWorkspaces(
        model: Network, kernels: ComputeKernels, plan: ShardPlan, exchange: GradientExchange
    ) throws -> (NetworkWorkspace, NetworkWorkspace?) {
        let workspace = try communicator.agreeingOnFailure {
            try NetworkWorkspace(
                model: model, capacity: plan.batchSize / exchange.microBatchesPerRank, kernels: kernels)
        }
        // Deterministic: right leaves are added into their left siblings by backward itself,
        // where this machine's kernels do that bit for bit as the tree's addition.
        if exchange.microBatchesPerRank > 1, model.backwardAddsExactly(workspace: workspace, rows: workspace.capacity) {
            exchange.backwardAddsExactly()
        }
        let leafPasses = try makeLeafPasses(model: model, leafWorkspace: workspace, rows: plan.batchSize, exchange: exchange)
        return (workspace, leafPasses)
    }

    /// Deterministic mode with dense layers in float32: a workspace for the rank's whole batch,
    /// whose one forward and backward pass gives every micro-batch its leaf's bits, where a
    /// start-up check on random batches finds the kernels compute each row alike at both sizes
    /// (every rank must agree: the ranks of one run use it, or none).
    private func makeLeafPasses(
        model: Network, leafWorkspace: NetworkWorkspace, rows: Int, exchange: GradientExchange
    ) throws -> NetworkWorkspace? {
        guard exchange.microBatchesPerRank > 1, model.leafPassesApply(to: leafWorkspace.kernels),
            getenv("MNIST_MPI_LEAF_PASSES").map({ String(cString: $0) }) != "off"
        else { return nil }
        let batch = try communicator.agreeingOnFailure {
            try NetworkWorkspace(model: model, capacity: rows, kernels: leafWorkspace.kernels, keepsLayerDeltas: true)
        }
        let matches = model.leafPassesMatch(batch: batch, leaf: leafWorkspace, leafRows: leafWorkspace.capacity)
        var everyRank = [Int32(matches ? 1 : 0)]
        try communicator.allReduce(&everyRank, .min)
        return everyRank[0] == 1 ? batch : nil
    }

    /// The loop over the run's parts, with the services it calls back for: evaluation,
    /// checkpoints, and the error a stop signal ends the run with.
    func makeLoop(_ parts: RunParts, data: RankData, exchange: GradientExchange) -> TrainingLoop {
        let config = configuration
        let (model, optimizer) = (parts.model, parts.optimizer)
        return TrainingLoop(
            model: model, workspace: parts.workspace, leafPasses: parts.leafPasses, optimizer: optimizer,
            exchange: exchange, data: data, schedule: parts.schedule, communicator: communicator,
            epochs: config.optimization.epochs, seed: config.optimization.seed,
            sharedOrder: config.optimization.microBatching != nil, augmentShift: config.data.augmentShift,
            observers: parts.observers,
            services: TrainingLoop.Services(
                evaluate: { [unowned self] in try evaluate(model, with: parts.evaluator) },
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
    }
}
