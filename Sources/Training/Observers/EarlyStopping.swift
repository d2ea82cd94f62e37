import RunOutput

/// `--early-stop-patience N`: ends the run when the test accuracy has not improved on its best
/// for N evaluations in a row (whoever asked for them: `--eval-every`, `--target-accuracy`).
/// The run then ends as a target does: a checkpoint where it stands, the last evaluation as the
/// final result. A resumed run counts afresh.
final class EarlyStopping: TrainingObserver {
    private let patience: Int
    private let logger: Logger
    private var best = -Double.infinity
    private var evaluationsWithoutImprovement = 0
    /// The line that says why the run stops, logged after the epoch's own line.
    private var verdict: String?

    init(patience: Int, logger: Logger) {
        self.patience = patience
        self.logger = logger
    }

    func evaluated(_ report: EvaluationReport) throws -> LoopRequests {
        let accuracy = report.test.accuracy
        if accuracy > best {
            best = accuracy
            evaluationsWithoutImprovement = 0
            return []
        }
        evaluationsWithoutImprovement += 1
        guard evaluationsWithoutImprovement >= patience else { return [] }
        let position = report.position
        verdict = String(
            format: "early stop at epoch %d step %d: test accuracy %.2f%%, no better than %.2f%% for %d evaluation%@",
            position.epoch, position.stepsDone, accuracy * 100, best * 100, patience, patience == 1 ? "" : "s")
        return .stop
    }

    func epochEnded(_ metrics: EpochMetrics, at position: LoopPosition, stopping: Bool) throws -> LoopRequests {
        if let verdict {
            logger.info(verdict)
            self.verdict = nil
        }
        return []
    }
}
