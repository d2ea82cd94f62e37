import RunOutput

/// `--eval-every N`: a test-set evaluation at the end of epochs 0, N, 2N, ... (0: none during
/// training; the run's final evaluation is the trainer's).
final class EvaluationSchedule: TrainingObserver {
    private let everyEpochs: Int

    init(everyEpochs: Int) {
        self.everyEpochs = everyEpochs
    }

    func epochEnding(at position: LoopPosition, metrics: EpochMetrics) throws -> LoopRequests {
        everyEpochs > 0 && position.epoch % everyEpochs == 0 ? .evaluate : []
    }
}
