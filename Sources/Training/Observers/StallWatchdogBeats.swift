import SwiftMPI
import RunOutput

/// Tells the stall watchdog (`--stall-timeout`) where the loop is: at every step, after an
/// evaluation or a checkpoint, and at an epoch's end. A clock read and two relaxed stores
/// each; harmless when no watchdog runs.
final class StallWatchdogBeats: TrainingObserver {
    func stepStarted(epoch: Int, step: Int) {
        StallWatchdog.beat(epoch: epoch, step: step)
    }

    func evaluated(_ report: EvaluationReport) throws -> LoopRequests {
        StallWatchdog.beat(epoch: report.position.epoch, step: report.position.stepsDone)
        return []
    }

    func checkpointed(at position: LoopPosition, start: Double, end: Double) {
        StallWatchdog.beat(epoch: position.epoch, step: position.stepsDone)
    }

    func epochEnded(_ metrics: EpochMetrics, at position: LoopPosition, stopping: Bool) throws -> LoopRequests {
        StallWatchdog.beat(epoch: position.epoch + 1, step: 0)
        return []
    }
}
