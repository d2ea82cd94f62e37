import RunOutput

/// `--metrics` (rank 0): one JSON line per epoch.
final class MetricsFileLines: TrainingObserver {
    private let outputs: OutputFiles

    init(outputs: OutputFiles) {
        self.outputs = outputs
    }

    func epochEnded(_ metrics: EpochMetrics, at position: LoopPosition, stopping: Bool) throws -> LoopRequests {
        try outputs.appendMetrics(metrics)
        return []
    }
}
