import RunOutput

/// `--timeline`: every rank's spans of the run's first steps (compute, allreduce, optimizer),
/// its evaluations and its checkpoints, gathered to rank 0 at the end.
final class TimelineSpans: TrainingObserver {
    private let recorder: TimelineRecorder

    init(recorder: TimelineRecorder) {
        self.recorder = recorder
    }

    func stepEnded(_ report: StepReport) throws -> LoopRequests {
        recorder.step(
            epoch: report.position.epoch, step: report.position.stepsDone - 1, computeStart: report.computeStart,
            reduceStart: report.reduceStart, reduceEnd: report.reduceEnd, end: report.end)
        return []
    }

    func evaluated(_ report: EvaluationReport) throws -> LoopRequests {
        recorder.span(.evaluate, epoch: report.position.epoch, step: report.position.stepsDone, start: report.start, end: report.end)
        return []
    }

    func checkpointed(at position: LoopPosition, start: Double, end: Double) {
        recorder.span(.checkpoint, epoch: position.epoch, step: position.stepsDone, start: start, end: end)
    }
}
