import Foundation
import RunOutput

/// Rank 0's log of the run's progress: the live status line on a terminal (`--progress`) and
/// an epoch's line at every `--log-every` epoch and after every evaluation.
final class ProgressLog: TrainingObserver {
    private let logger: Logger
    private let logEvery: Int
    private let samplesPerStep: Int
    private var reporter: ProgressReporter?

    init(logger: Logger, logEvery: Int, samplesPerStep: Int) {
        self.logger = logger
        self.logEvery = logEvery
        self.samplesPerStep = samplesPerStep
    }

    func runStarted(at position: LoopPosition, stepsToGo: Int) throws {
        reporter = ProgressReporter(
            logger: logger, stepsPerEpoch: position.stepsPerEpoch, samplesPerStep: samplesPerStep, totalSteps: stepsToGo)
    }

    func stepEnded(_ report: StepReport) throws -> LoopRequests {
        reporter?.stepDone(epoch: report.position.epoch, step: report.position.stepsDone - 1, now: report.end)
        return []
    }

    func epochEnded(_ metrics: EpochMetrics, at position: LoopPosition, stopping: Bool) throws -> LoopRequests {
        guard metrics.epoch % logEvery == 0 || metrics.testAccuracy != nil else { return [] }
        var line = String(format: "epoch %3d  cost %.6f", metrics.epoch, metrics.cost)
        if let accuracy = metrics.testAccuracy { line += String(format: "  test %.2f%%", accuracy * 100) }
        line += String(format: "  %.2f s", metrics.seconds)
        logger.info(line)
        return []
    }
}
