/// Under `mnist-mpi elastic` (rank 0): the last finished step beside the checkpoint, for
/// counting the steps a relaunch redoes, and the first step after a relaunch, for its
/// recovery time.
final class ElasticStepMarker: TrainingObserver {
    private let marker: ProgressMarker?
    private let firstStepDone: () -> Void
    private var firstStepSeen = false

    /// - Parameters:
    ///   - marker: the step marker (nil: none is written).
    ///   - firstStepDone: called once, after this process's first step.
    init(marker: ProgressMarker?, firstStepDone: @escaping () -> Void) {
        self.marker = marker
        self.firstStepDone = firstStepDone
    }

    func stepEnded(_ report: StepReport) throws -> LoopRequests {
        marker?.stepFinished(report.position.runSteps)
        if !firstStepSeen {
            firstStepSeen = true
            firstStepDone()
        }
        return []
    }
}
