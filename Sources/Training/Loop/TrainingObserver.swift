import RunOutput

/// What an observer may ask of the training loop after a moment. The loop carries out the
/// union of every observer's requests, in this order: checkpoint, evaluate, stop.
///
/// Every rank runs the same observers and must ask for the same things at the same moment
/// (evaluations and checkpoints are collectives): decide from values every rank shares (the
/// position, reduced costs and accuracies, settings), never from a rank's own clock or files.
struct LoopRequests: OptionSet, Sendable {
    let rawValue: UInt8
    /// A checkpoint written now, in the foreground (earlier background writes are waited for).
    static let checkpoint = LoopRequests(rawValue: 1 << 0)
    /// A checkpoint of the state as it is, written by rank 0's background thread.
    static let backgroundCheckpoint = LoopRequests(rawValue: 1 << 1)
    /// A test-set evaluation now (the observers then hear `evaluated`).
    static let evaluate = LoopRequests(rawValue: 1 << 2)
    /// End the run: inside an epoch, after this step (the epoch then ends early); at an epoch's
    /// end, after it.
    static let stop = LoopRequests(rawValue: 1 << 3)
}

/// Where the loop stands: `stepsDone` steps of epoch `epoch` finished.
struct LoopPosition: Sendable, Equatable {
    var epoch: Int
    var stepsDone: Int
    let stepsPerEpoch: Int
    /// Optimizer steps of the whole run finished (counted from 1; resumed runs included).
    var runSteps: Int { epoch * stepsPerEpoch + stepsDone }
    /// Whether the epoch's steps are all done.
    var atEpochEnd: Bool { stepsDone == stepsPerEpoch }
}

/// One finished optimizer step, as the core measured it (wall-clock seconds, this rank's).
struct StepReport: Sendable {
    /// The step's position after it (`stepsDone` includes it).
    let position: LoopPosition
    /// The cost summed over every rank's micro-batches (the same on every rank).
    let summedCost: Double
    /// The number of terms in that sum (ranks × micro-batches): the mean is `summedCost / terms`.
    let terms: Int
    let learningRate: Double
    let computeStart: Double
    let reduceStart: Double
    let reduceEnd: Double
    let end: Double
}

/// One test-set evaluation the loop made (every rank: the same result).
struct EvaluationReport {
    let position: LoopPosition
    let test: TestResult
    let start: Double
    let end: Double
}

/// Why the run is stopping (`stopping`).
enum StopReason: Sendable, Equatable {
    /// SIGTERM or SIGINT reached a rank (the step's sum carried the request to every rank).
    case signal
    /// An observer asked (a target met, early stopping).
    case requested
}

/// One of the concerns around the step: called at named moments, it may ask the loop for an
/// evaluation, a checkpoint or a stop (`LoopRequests`). Every moment has an empty default, so an
/// observer implements only the ones it needs (as Keras callbacks and Lightning's hooks do).
///
/// Observers run in the order the trainer registers them. An error thrown from a moment ends
/// the run; one found by every rank alike should be a `CollectiveFailure`.
protocol TrainingObserver: AnyObject {
    /// Before the first step of this process (`position`: where it starts; after a resume,
    /// inside the run), with the run's step count still to go.
    func runStarted(at position: LoopPosition, stepsToGo: Int) throws
    /// Epoch `epoch` begins at wall time `now` (its data order drawn).
    func epochStarted(_ epoch: Int, now: Double)
    /// Step `step` of `epoch` is about to begin.
    func stepStarted(epoch: Int, step: Int)
    /// A step has finished (parameters updated).
    func stepEnded(_ report: StepReport) throws -> LoopRequests
    /// The loop evaluated the test set (on any observer's request).
    func evaluated(_ report: EvaluationReport) throws -> LoopRequests
    /// The loop wrote a checkpoint for continuing at `position` (rank 0 wrote; every rank waited).
    func checkpointed(at position: LoopPosition, start: Double, end: Double)
    /// An epoch's steps are over (`position.stepsDone` short of an epoch when a stop ended it
    /// early) and its metrics are measured but not yet reported: checks and evaluations go here.
    func epochEnding(at position: LoopPosition, metrics: EpochMetrics) throws -> LoopRequests
    /// The epoch's metrics, with the test accuracy when it was evaluated at its end. Runs inside
    /// one agreement of all ranks: an error thrown here on any rank ends every rank with one
    /// line. No collectives here. `stopping`: the run ends after this epoch.
    func epochEnded(_ metrics: EpochMetrics, at position: LoopPosition, stopping: Bool) throws -> LoopRequests
    /// The run is about to end early at `position` (the loop then checkpoints if asked, and stops).
    func stopping(at position: LoopPosition, reason: StopReason) -> LoopRequests
    /// The loop is over (not called when an error ended it).
    func runEnded(epochs: [EpochMetrics])
}

extension TrainingObserver {
    func runStarted(at position: LoopPosition, stepsToGo: Int) throws {}
    func epochStarted(_ epoch: Int, now: Double) {}
    func stepStarted(epoch: Int, step: Int) {}
    func stepEnded(_ report: StepReport) throws -> LoopRequests { [] }
    func evaluated(_ report: EvaluationReport) throws -> LoopRequests { [] }
    func checkpointed(at position: LoopPosition, start: Double, end: Double) {}
    func epochEnding(at position: LoopPosition, metrics: EpochMetrics) throws -> LoopRequests { [] }
    func epochEnded(_ metrics: EpochMetrics, at position: LoopPosition, stopping: Bool) throws -> LoopRequests { [] }
    func stopping(at position: LoopPosition, reason: StopReason) -> LoopRequests { [] }
    func runEnded(epochs: [EpochMetrics]) {}
}
