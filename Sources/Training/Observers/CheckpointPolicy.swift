import RunOutput

/// When the run writes its checkpoint (`--checkpoint`): at the end of every
/// `--checkpoint-every` epochs and of the last one, every `--checkpoint-every-steps` steps
/// (in the background; every epoch's end then too, so at most K steps are redone), and when
/// the run stops early (a target met, early stopping, SIGTERM or SIGINT).
final class CheckpointPolicy: TrainingObserver {
    private let everyEpochs: Int
    private let everySteps: Int
    private let epochs: Int

    init(everyEpochs: Int, everySteps: Int, epochs: Int) {
        self.everyEpochs = everyEpochs
        self.everySteps = everySteps
        self.epochs = epochs
    }

    func stepEnded(_ report: StepReport) throws -> LoopRequests {
        everySteps > 0 && report.position.runSteps % everySteps == 0 ? .backgroundCheckpoint : []
    }

    func epochEnded(_ metrics: EpochMetrics, at position: LoopPosition, stopping: Bool) throws -> LoopRequests {
        let epoch = position.epoch
        return stopping || (epoch + 1) % everyEpochs == 0 || everySteps > 0 || epoch + 1 == epochs ? .checkpoint : []
    }

    func stopping(at position: LoopPosition, reason: StopReason) -> LoopRequests {
        .checkpoint
    }
}
