import RunOutput

/// `--tensorboard` (rank 0): the step's mean cost every `--tensorboard-every` steps and each
/// epoch's metrics, at the optimizer step they belong to.
final class TensorBoardScalars: TrainingObserver {
    private let writer: TensorBoardWriter
    private let everySteps: Int

    init(writer: TensorBoardWriter, everySteps: Int) {
        self.writer = writer
        self.everySteps = everySteps
    }

    func stepEnded(_ report: StepReport) throws -> LoopRequests {
        let step = report.position.runSteps
        if everySteps > 0, step % everySteps == 0 {
            writer.scalar(TensorBoardTags.stepCost, report.summedCost / Double(report.terms), step: step)
        }
        return []
    }

    func epochEnded(_ metrics: EpochMetrics, at position: LoopPosition, stopping: Bool) throws -> LoopRequests {
        var scalars: [(TensorBoardWriter.Tag, Double)] = [
            (TensorBoardTags.cost, metrics.cost), (TensorBoardTags.learningRate, metrics.learningRate),
            (TensorBoardTags.samplesPerSecond, metrics.samplesPerSecond),
            (TensorBoardTags.epochSeconds, metrics.seconds), (TensorBoardTags.computeSeconds, metrics.computeSeconds),
            (TensorBoardTags.allreduceSeconds, metrics.allreduceSeconds),
        ]
        if let accuracy = metrics.testAccuracy { scalars.append((TensorBoardTags.testAccuracy, accuracy)) }
        // Where a full epoch would end, as before: a curve's x axis in steps.
        writer.scalars(scalars, step: (metrics.epoch + 1) * position.stepsPerEpoch)
        try writer.check()
        return []
    }
}
