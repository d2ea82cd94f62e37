import Foundation
import SwiftMPI
import RunOutput

/// Tells the stall watchdog (`--stall-timeout`) where the loop is: at every step, after an
/// evaluation or a checkpoint, and at an epoch's end. A clock read and two relaxed stores
/// each; harmless when no watchdog runs.
///
/// Without `--stall-timeout` it also times steps `skippedSteps + 1` to `skippedSteps +
/// timedSteps` of this launch and sets the limit from their median (`StallTimeoutRule`); rank 0
/// says the limit in one line.
final class StallWatchdogBeats: TrainingObserver {
    private let logger: Logger?
    private var stepStarts: [Double] = []
    private var timing: Bool

    /// - Parameters:
    ///   - measuresLimit: time the steps and set the limit from them (no `--stall-timeout`).
    ///   - logger: where the limit is said (rank 0; nil: nowhere).
    init(measuresLimit: Bool, logger: Logger?) {
        timing = measuresLimit
        self.logger = logger
        if measuresLimit { stepStarts.reserveCapacity(StallTimeoutRule.timedSteps + 1) }
    }

    func stepStarted(epoch: Int, step: Int) {
        StallWatchdog.beat(epoch: epoch, step: step)
    }

    func stepEnded(_ report: StepReport) throws -> LoopRequests {
        guard timing else { return [] }
        // Each step's span from its compute start to the next's: the wait in its sum included.
        stepStarts.append(report.computeStart)
        if stepStarts.count > StallTimeoutRule.skippedSteps + StallTimeoutRule.timedSteps {
            timing = false
            let starts = stepStarts.suffix(StallTimeoutRule.timedSteps + 1)
            let spans = zip(starts.dropFirst(), starts).map { $0 - $1 }.sorted()
            let median = spans[spans.count / 2]
            let limit = StallTimeoutRule.seconds(forStep: median)
            StallWatchdog.setLimit(seconds: limit)
            logger?.info(String(format: "stall timeout: %.0f s (%.0fx the median step of %.2f ms, at least %.0f s)",
                                limit, StallTimeoutRule.stepMultiple, median * 1e3, StallTimeoutRule.floorSeconds))
            stepStarts = []
        }
        return []
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
