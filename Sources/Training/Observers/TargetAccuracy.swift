import RunOutput
import SwiftMPI

/// `--target-accuracy A`: evaluates on the way (`TargetTracker` decides when, from the run's
/// own step and evaluation times), stops the run at the first evaluation at or above A, and
/// logs the outcome at the end.
final class TargetAccuracy: TrainingObserver {
    let tracker: TargetTracker
    private let communicator: Communicator
    private let logger: Logger
    private var epochStart = 0.0
    private var firstStep: Int?
    /// Time spent evaluating inside this epoch (kept out of the step time).
    private var epochEvaluationSeconds = 0.0

    init(tracker: TargetTracker, communicator: Communicator, logger: Logger) {
        self.tracker = tracker
        self.communicator = communicator
        self.logger = logger
    }

    func epochStarted(_ epoch: Int, now: Double) {
        if tracker.firstStepTime == nil { tracker.firstStepTime = now }
        epochStart = now
        firstStep = nil
        epochEvaluationSeconds = 0
    }

    func stepStarted(epoch: Int, step: Int) {
        if firstStep == nil { firstStep = step }
    }

    func stepEnded(_ report: StepReport) throws -> LoopRequests {
        tracker.isDue(afterStep: report.position.runSteps - 1) ? .evaluate : []
    }

    func epochEnding(at position: LoopPosition, metrics: EpochMetrics) throws -> LoopRequests {
        tracker.isDue(afterStep: position.runSteps - 1) ? .evaluate : []
    }

    func evaluated(_ report: EvaluationReport) throws -> LoopRequests {
        let position = report.position
        let stepsRun = max(1, position.stepsDone - (firstStep ?? 0))
        let stepSeconds = (report.start - epochStart - epochEvaluationSeconds) / Double(stepsRun)
        // The largest of all ranks, so that every rank sets the same next interval.
        var times = [report.end - report.start, stepSeconds]
        try communicator.allReduce(&times, .max)
        let met = tracker.evaluated(
            report.test, seconds: times[0], stepSeconds: times[1], afterStep: position.runSteps - 1, now: report.end)
        epochEvaluationSeconds += Communicator.wallTime() - report.start
        guard met else { return [] }
        if let reached = tracker.reached, !position.atEpochEnd {
            logger.info(String(format: "epoch %3d  step %d  test %.2f%%", position.epoch, position.stepsDone, reached.accuracy * 100))
        }
        return .stop
    }

    func runEnded(epochs: [EpochMetrics]) {
        let target = tracker.target * 100
        guard let reached = tracker.reached else {
            logger.info(String(format: "target %.2f%% not reached in %d epochs (best %.2f%%, %d evaluations)",
                               target, epochs.count, tracker.best * 100, tracker.evaluations))
            return
        }
        let launch = reached.secondsFromLaunch.map { String(format: "%.2f s from launch, ", $0) } ?? ""
        logger.info(String(
            format: "target %.2f%% reached: %.2f%% after %d steps (%.2f epochs), %@%.2f s from the first step (%d evaluations, %.2f s of it)",
            target, reached.accuracy * 100, reached.step, reached.epochs, launch, reached.secondsFromFirstStep,
            tracker.evaluations, tracker.evaluationSeconds))
    }
}
