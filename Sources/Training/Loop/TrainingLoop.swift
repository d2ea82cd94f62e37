import CStopSignal
import MNISTData
import NeuralNet
import RunOutput
import SwiftMPI

/// The training loop: epochs of steps, and the observers told at each moment.
///
/// The step is the core (`step(at:)`: batch -> forward and loss -> backward -> reduce ->
/// update); everything else (evaluation schedule, target accuracy, early stopping, checkpoint
/// policy, progress, metrics, TensorBoard, timeline, the elastic step marker, the stall
/// watchdog, the NaN guard, test hooks) is a `TrainingObserver` that may ask for an
/// evaluation, a checkpoint or a stop. Every rank runs the same loop and the same observers.
final class TrainingLoop {
    /// What the loop needs from the trainer besides the step's parts: the collective
    /// evaluation and checkpoint, and the error that ends a run stopped by a signal.
    struct Services {
        /// The test confusion counts of every rank summed (a collective).
        let evaluate: () throws -> TestResult
        /// A checkpoint for continuing at `position` with `partialLoss` summed so far in its
        /// epoch (a collective; `inBackground`: rank 0's thread writes it).
        let checkpoint: (_ position: LoopPosition, _ partialLoss: Double, _ learningRate: Double, _ inBackground: Bool) throws -> Void
        /// The error that ends every rank after a stop signal, at `position`.
        let interrupted: (_ position: LoopPosition) -> Error
    }

    private let model: Network
    private let workspace: NetworkWorkspace
    /// Deterministic mode, where the kernels allow it (`Network.leafPassesMatch`): the rank's whole
    /// batch, whose one forward and backward pass gives every micro-batch its leaf's bits.
    private let leafPasses: NetworkWorkspace?
    /// `[microBatchesPerRank]` each micro-batch's mean cost in leaf passes.
    private let leafLosses: UnsafeMutablePointer<Double>
    /// The parts of the gradients leaf passes sum at a time (`Network.leafParts`).
    private let leafParts: [LeafPart]
    private let optimizer: Optimizer
    private let exchange: GradientExchange
    private let batches: BatchAssembler
    private let schedule: LearningRateSchedule
    private let communicator: Communicator
    private let observers: [any TrainingObserver]
    private let services: Services
    private let plan: ShardPlan
    private let epochs: Int
    private let seed: UInt64
    /// Deterministic mode: one data order for every rank (each takes its slice of each global batch).
    private let sharedOrder: Bool
    private let microRows: Int
    private let pixels: Int
    /// The sum's terms: one mean cost and gradient per micro-batch of every rank.
    private let terms: Int
    private let gradientScale: Float

    /// The latest evaluation (every rank: the same).
    private(set) var lastEvaluation: EvaluationReport?
    /// Where the loop stopped: the end of the last epoch, or inside it after a stop request.
    private(set) var finalPosition: LoopPosition
    /// Whether an observer's stop request ended the run before `--epochs`.
    private(set) var stoppedOnRequest = false

    /// The random stream of the data order in deterministic mode (one order for every rank; the
    /// other mode's streams carry the rank in these bits).
    static let sharedOrderStream: UInt64 = 0x4445_5445_0000_0000  // "DETE"

    init(
        model: Network, workspace: NetworkWorkspace, leafPasses: NetworkWorkspace? = nil, optimizer: Optimizer, exchange: GradientExchange, data: DataParallelTrainer.RankData,
        schedule: LearningRateSchedule, communicator: Communicator, epochs: Int, seed: UInt64, sharedOrder: Bool,
        augmentShift: Int = 0, observers: [any TrainingObserver], services: Services
    ) {
        let plan = data.plan
        let shift = augmentShift > 0 && data.shard.pixelsPerImage == DataParallelTrainer.imageShape.count
            ? (pixels: augmentShift, image: DataParallelTrainer.imageShape, seed: seed ^ 0x5348_4946_5400_0000)  // "SHIFT"
            : nil
        self.model = model
        self.workspace = workspace
        self.leafPasses = leafPasses
        leafLosses = .allocate(capacity: max(exchange.microBatchesPerRank, 1))
        leafParts = model.leafParts
        self.optimizer = optimizer
        self.exchange = exchange
        self.schedule = schedule
        self.communicator = communicator
        self.observers = observers
        self.services = services
        self.plan = plan
        self.epochs = epochs
        self.seed = seed
        self.sharedOrder = sharedOrder
        batches = sharedOrder
            ? BatchAssembler(
                examples: data.shard, batchSize: plan.batchSize, stepStride: plan.batchSize * communicator.size,
                offset: plan.batchSize * communicator.rank, shift: shift)
            : BatchAssembler(examples: data.shard, batchSize: plan.batchSize, shift: shift)
        microRows = plan.batchSize / exchange.microBatchesPerRank
        pixels = data.shard.pixelsPerImage
        terms = communicator.size * exchange.microBatchesPerRank
        gradientScale = 1 / Float(terms)
        finalPosition = LoopPosition(epoch: 0, stepsDone: 0, stepsPerEpoch: plan.stepsPerEpoch)
    }

    /// The seconds this rank's products have taken so far (both workspaces').
    private var productSeconds: Double {
        workspace.productClock.seconds + (leafPasses?.productClock.seconds ?? 0)
    }

    deinit {
        leafLosses.deallocate()
    }

    // MARK: - The step

    /// One optimizer step at `position` (its `stepsDone` is the step's index in the epoch):
    /// this rank's batch forward and backward (micro-batch by micro-batch, or as leaf passes),
    /// the sum of every rank's gradients and costs, the update.
    private func step(at position: LoopPosition) throws -> StepReport {
        let runStep = position.runSteps
        let computeStart = Communicator.wallTime()
        batches.assemble(step: position.stepsDone)
        if let leafPasses {
            try leafPassesStep(leafPasses)
        } else {
            try microBatchesStep()
        }
        let reduceStart = Communicator.wallTime()
        try exchange.finish(step: runStep)
        let reduceEnd = Communicator.wallTime()
        let learningRate = schedule.rate(atStep: runStep)
        optimizer.step(
            parameters: model.parameters, gradients: exchange.summedGradients,
            gradientScale: gradientScale, learningRate: Float(learningRate))
        var after = position
        after.stepsDone += 1
        return StepReport(
            position: after, summedCost: exchange.summedCost, terms: terms, learningRate: learningRate,
            computeStart: computeStart, reduceStart: reduceStart, reduceEnd: reduceEnd, end: Communicator.wallTime())
    }

    /// The step's micro-batches one at a time: a forward and backward pass each (the whole
    /// batch as one outside deterministic mode).
    private func microBatchesStep() throws {
        for micro in 0..<exchange.microBatchesPerRank {
            let cost = model.forwardAndLoss(
                input: batches.input.pointer + micro * microRows * pixels, labels: batches.labels + micro * microRows,
                rows: microRows, workspace: workspace)
            // The control values ride in the last layer's bucket, which backward finishes first.
            let slot = exchange.microBatchSlot(micro)
            exchange.setControls(cost: cost, stopRequested: stop_signal_received() != 0, in: slot)
            try model.backward(
                workspace: workspace, into: slot.values, adding: slot.adding, afterLayer: { try exchange.layerReady($0) })
            try exchange.microBatchDone(micro)
        }
    }

    /// The step's micro-batches as leaf passes: one forward pass and one backward pass of deltas
    /// over the rank's batch, then layer by layer (last first) each micro-batch's gradients of
    /// the layer into its slot, summed as they come while the layer's part of the slots is in
    /// cache (the last layer's part carries the control values).
    private func leafPassesStep(_ leafPasses: NetworkWorkspace) throws {
        model.forwardAndLeafLosses(
            input: batches.input.pointer, labels: batches.labels, rows: plan.batchSize, leafRows: microRows,
            workspace: leafPasses, losses: leafLosses)
        model.backwardDeltas(workspace: leafPasses)
        let stopRequested = stop_signal_received() != 0
        for part in leafParts {
            // The last layer's part carries the control values (after the gradients).
            let controls = part.elements.upperBound == model.layout.parameterCount
            let elements = part.elements.lowerBound..<(controls ? exchange.buffer.count : part.elements.upperBound)
            for micro in 0..<exchange.microBatchesPerRank {
                let slot = exchange.microBatchSlot(micro)
                if controls { exchange.setControls(cost: leafLosses[micro], stopRequested: stopRequested, in: slot) }
                model.leafGradients(
                    leaf: micro, part: part, leafRows: microRows, workspace: leafPasses, into: slot.values, adding: slot.adding)
                try exchange.microBatchDone(micro, elements: elements)
            }
            try exchange.layerReady(part.layer)
        }
    }

    // MARK: - Epochs

    /// Trains from `start` (epoch, step and the cost summed so far in that epoch) to
    /// `epochs`, or until an observer asks to stop.
    ///
    /// - Returns: the metrics of each epoch this process ran.
    func run(from start: LoopPosition, partialLoss: Double) throws -> [EpochMetrics] {
        let stepsToGo = max(0, epochs * plan.stepsPerEpoch - start.runSteps)
        for observer in observers { try observer.runStarted(at: start, stepsToGo: stepsToGo) }
        var history: [EpochMetrics] = []
        finalPosition = start
        // A checkpoint past --epochs leaves nothing to train (and must not make a reversed range).
        for epoch in start.epoch..<max(start.epoch, epochs) {
            let resuming = epoch == start.epoch
            let (metrics, stop) = try runEpoch(
                epoch, firstStep: resuming ? min(start.stepsDone, plan.stepsPerEpoch) : 0,
                lossSum: resuming ? partialLoss : 0)
            history.append(metrics)
            if stop {
                stoppedOnRequest = true
                break
            }
        }
        for observer in observers { observer.runEnded(epochs: history) }
        return history
    }

    /// One epoch from `firstStep`: its steps, then its end (metrics, evaluation, report).
    ///
    /// - Returns: its metrics, and whether an observer asked the run to stop.
    private func runEpoch(_ epoch: Int, firstStep: Int, lossSum startingLoss: Double) throws -> (EpochMetrics, Bool) {
        var random = RandomSource(
            seed: seed,
            stream: (sharedOrder ? TrainingLoop.sharedOrderStream : UInt64(communicator.rank) << 32) | UInt64(epoch + 1))
        var clock = EpochClock(start: Communicator.wallTime(), productSeconds: productSeconds)
        batches.shuffle(random: &random, epoch: epoch)
        for observer in observers { observer.epochStarted(epoch, now: clock.start) }
        var position = LoopPosition(epoch: epoch, stepsDone: firstStep, stepsPerEpoch: plan.stepsPerEpoch)
        // The summed cost of all ranks' batches (the same on every rank).
        var lossSum = startingLoss
        var stop = false
        var learningRate = schedule.rate(atStep: max(position.runSteps, 1) - 1)
        while !position.atEpochEnd {
            for observer in observers { observer.stepStarted(epoch: epoch, step: position.stepsDone) }
            let report = try step(at: position)
            position = report.position
            lossSum += report.summedCost
            learningRate = report.learningRate
            clock.add(report)
            var requests = LoopRequests()
            for observer in observers { requests.formUnion(try observer.stepEnded(report)) }
            if exchange.stopRequested {
                try stopOnSignal(at: position, partialLoss: lossSum, learningRate: learningRate)
            }
            // The epoch's last step is handled (evaluated, checkpointed) by the epoch's end.
            if position.atEpochEnd { break }
            if try carryOut(requests, at: position, partialLoss: lossSum, learningRate: learningRate) {
                stop = true
                break
            }
        }
        finalPosition = position
        var metrics = try epochMetrics(
            epoch, clock: clock, position: position, stepsRun: position.stepsDone - firstStep, lossSum: lossSum,
            learningRate: learningRate)
        let stopping = try endEpoch(&metrics, at: position, lossSum: lossSum, stop: stop)
        return (metrics, stopping)
    }

    /// A stop signal reached every rank (through the step's sum): the checkpoint the observers
    /// ask for, then the error that ends the run.
    private func stopOnSignal(at position: LoopPosition, partialLoss: Double, learningRate: Double) throws -> Never {
        var asked = LoopRequests()
        for observer in observers { asked.formUnion(observer.stopping(at: position, reason: .signal)) }
        if !asked.isDisjoint(with: [.checkpoint, .backgroundCheckpoint]) {
            try checkpoint(at: position, partialLoss: partialLoss, learningRate: learningRate, inBackground: false)
        }
        throw services.interrupted(position)
    }

    /// The epoch's metrics from every rank's clock: one small collective per epoch, timings
    /// summed over ranks, then each rank's work and wait in slots of their own (each rank fills
    /// its own; the sum gathers them).
    private func epochMetrics(
        _ epoch: Int, clock: EpochClock, position: LoopPosition, stepsRun: Int, lossSum: Double, learningRate: Double
    ) throws -> EpochMetrics {
        let size = communicator.size
        var totals = [clock.computeSeconds, clock.allreduceSeconds, productSeconds - clock.productSecondsAtStart]
            + [Double](repeating: 0, count: 2 * size)
        totals[3 + communicator.rank] = clock.workSeconds
        totals[3 + size + communicator.rank] = clock.allreduceSeconds
        try communicator.allReduce(&totals, .sum)
        let seconds = Communicator.wallTime() - clock.start
        let ranks = Double(size)
        var metrics = EpochMetrics(
            epoch: epoch, cost: lossSum / (Double(max(position.stepsDone, 1)) * Double(terms)),
            testAccuracy: nil, seconds: seconds, computeSeconds: totals[0] / ranks, allreduceSeconds: totals[1] / ranks,
            samplesPerSecond: Double(plan.examplesPerRankPerEpoch) * ranks / seconds
                * Double(stepsRun) / Double(plan.stepsPerEpoch),
            learningRate: learningRate, productSeconds: totals[2] / ranks)
        if size > 1 {
            metrics.workSecondsPerRank = Array(totals[3..<(3 + size)])
            metrics.waitSecondsPerRank = Array(totals[(3 + size)...])
        }
        return metrics
    }

    /// The epoch's end: checks and an evaluation when asked for, the report, then a checkpoint
    /// and a stop when asked for. `stop`: the run already ends here (a stop request inside the epoch).
    ///
    /// - Returns: whether the run ends after this epoch.
    private func endEpoch(_ metrics: inout EpochMetrics, at position: LoopPosition, lossSum: Double, stop: Bool) throws -> Bool {
        var stop = stop
        var requests = LoopRequests()
        for observer in observers { requests.formUnion(try observer.epochEnding(at: position, metrics: metrics)) }
        if let last = lastEvaluation, last.position == position {
            // Evaluated here already (the evaluation that ended the epoch early).
            metrics.testAccuracy = last.test.accuracy
        } else if requests.contains(.evaluate) {
            let asked = try evaluate(at: position)
            metrics.testAccuracy = lastEvaluation?.test.accuracy
            stop = stop || asked.contains(.stop)
        }
        stop = stop || requests.contains(.stop)
        var ended = requests.intersection([.checkpoint, .backgroundCheckpoint])
        let report = metrics
        try communicator.agreeingOnFailure {
            for observer in observers { ended.formUnion(try observer.epochEnded(report, at: position, stopping: stop)) }
        }
        if stop {
            for observer in observers { ended.formUnion(observer.stopping(at: position, reason: .requested)) }
        }
        if !ended.isDisjoint(with: [.checkpoint, .backgroundCheckpoint]) {
            // A run stopped inside an epoch saves the model where it stands (a resume goes on
            // from that step); otherwise at the epoch's end.
            let next = position.atEpochEnd
                ? LoopPosition(epoch: position.epoch + 1, stepsDone: 0, stepsPerEpoch: plan.stepsPerEpoch) : position
            try checkpoint(
                at: next, partialLoss: position.atEpochEnd ? 0 : lossSum, learningRate: metrics.learningRate,
                inBackground: false)
        }
        return stop
    }

    // MARK: - Requests

    /// Carries out the requests of a step's end: a checkpoint, an evaluation, and whether to stop.
    private func carryOut(_ requests: LoopRequests, at position: LoopPosition, partialLoss: Double, learningRate: Double) throws -> Bool {
        if requests.contains(.checkpoint) || requests.contains(.backgroundCheckpoint) {
            try checkpoint(
                at: position, partialLoss: partialLoss, learningRate: learningRate,
                inBackground: !requests.contains(.checkpoint))
        }
        var stop = requests.contains(.stop)
        if requests.contains(.evaluate) { stop = try evaluate(at: position).contains(.stop) || stop }
        return stop
    }

    /// Evaluates the test set (a collective) and tells the observers.
    ///
    /// - Returns: what they asked for after hearing it.
    private func evaluate(at position: LoopPosition) throws -> LoopRequests {
        let start = Communicator.wallTime()
        let test = try services.evaluate()
        let report = EvaluationReport(position: position, test: test, start: start, end: Communicator.wallTime())
        lastEvaluation = report
        var requests = LoopRequests()
        for observer in observers { requests.formUnion(try observer.evaluated(report)) }
        return requests
    }

    private func checkpoint(at position: LoopPosition, partialLoss: Double, learningRate: Double, inBackground: Bool) throws {
        let start = Communicator.wallTime()
        try services.checkpoint(position, partialLoss, learningRate, inBackground)
        let end = Communicator.wallTime()
        for observer in observers { observer.checkpointed(at: position, start: start, end: end) }
    }
}
