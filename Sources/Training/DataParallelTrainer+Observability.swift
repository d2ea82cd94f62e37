import Foundation
import SwiftMPI
import RunOutput
import MNISTData
import NeuralNet

/// The TensorBoard curves rank 0 writes (`--tensorboard`).
enum TensorBoardTags {
    static let cost = TensorBoardWriter.Tag("train/cost")
    static let stepCost = TensorBoardWriter.Tag("train/step_cost")
    static let learningRate = TensorBoardWriter.Tag("train/learning_rate")
    static let testAccuracy = TensorBoardWriter.Tag("test/accuracy")
    static let samplesPerSecond = TensorBoardWriter.Tag("speed/samples_per_second")
    static let epochSeconds = TensorBoardWriter.Tag("time/epoch_seconds")
    static let computeSeconds = TensorBoardWriter.Tag("time/compute_seconds")
    static let allreduceSeconds = TensorBoardWriter.Tag("time/allreduce_seconds")
    static let elasticRanks = TensorBoardWriter.Tag("elastic/ranks")
    static let elasticRestarts = TensorBoardWriter.Tag("elastic/restarts")
}

extension DataParallelTrainer {
    /// Rank 0's TensorBoard writer (nil elsewhere, or without `--tensorboard`), made in an
    /// agreement so a bad folder stops every rank with one line before training. A resumed run
    /// drops the events past `resumedStep` that an earlier run wrote.
    func makeTensorBoardWriter(resumedStep: Int?) throws -> TensorBoardWriter? {
        guard let directory = configuration.reporting.tensorboardDirectory else { return nil }
        return try communicator.agreeingOnFailure {
            communicator.isRoot ? try TensorBoardWriter(directory: directory, resumingAfter: resumedStep) : nil
        }
    }

    /// A timeline recorder when `--timeline` is given: the ranks meet in a barrier and each
    /// takes the moment it left as its clock's zero, which aligns their clocks to within the
    /// barrier's skew. Rank 0 checks that the file can be written (in an agreement).
    func makeTimelineRecorder() throws -> TimelineRecorder? {
        guard let path = configuration.reporting.timelinePath else { return nil }
        try communicator.agreeingOnFailure {
            if communicator.isRoot, let reason = writeProbeFailure(path) {
                throw OutputError.cannotWrite(path: path, reason: reason)
            }
        }
        try communicator.barrier()
        return TimelineRecorder(origin: Communicator.wallTime(), stepLimit: configuration.reporting.timelineSteps)
    }

    /// Gathers every rank's spans and host name to rank 0, which writes the trace. Collective.
    func writeTimeline(_ recorder: TimelineRecorder?) throws {
        guard let recorder, let path = configuration.reporting.timelinePath else { return }
        let packed = try communicator.gather(recorder.packed())
        let hostBytes = 64
        var host = [CChar](repeating: 0, count: hostBytes)
        gethostname(&host, hostBytes - 1)
        let hosts = try communicator.gather(host.map { Int32($0) })
        try communicator.agreeingOnFailure {
            guard communicator.isRoot else { return }
            let perRank = packed.count / communicator.size
            let ranks = (0..<communicator.size).map {
                TimelineRecorder.unpack(packed[($0 * perRank)..<(($0 + 1) * perRank)])
            }
            let hostNames = (0..<communicator.size).map { rank in
                String(decoding: hosts[(rank * hostBytes)..<((rank + 1) * hostBytes)]
                    .prefix { $0 != 0 }.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
            }
            try ChromeTrace.write(
                ranks: ranks, hostNames: hostNames,
                metadata: [
                    "tool": "mnist-mpi", "ranks": "\(communicator.size)", "preset": configuration.preset,
                    "steps_recorded": "first \(configuration.reporting.timelineSteps)",
                    "allreduce": "split into waiting for the slowest rank and transfer from the ranks' aligned clocks",
                    "restarts": restarts.isEmpty ? "none" : restarts.map(\.description).joined(separator: "; "),
                ],
                to: path)
        }
    }
}

extension DataParallelTrainer {
    /// The observers of this run's loop, in the order they hear each moment: the guards first
    /// (a non-finite cost stops before anything records the step), the reports, the checks and
    /// evaluations, the checkpoint policy last (it hears whether the run is stopping).
    func makeObservers(
        model: Network, plan: ShardPlan, outputs: OutputFiles?, tensorboard: TensorBoardWriter?,
        timeline: TimelineRecorder?, target: TargetAccuracy?, stragglers: StragglerReport
    ) -> [any TrainingObserver] {
        let config = configuration
        var observers: [any TrainingObserver] = [
            NonFiniteGuard(communicator: communicator),
            StallWatchdogBeats(
                measuresLimit: config.reliability.stallTimeout == nil, logger: communicator.isRoot ? logger : nil),
            ProgressLog(logger: logger, logEvery: config.reporting.logEvery, samplesPerStep: plan.batchSize * communicator.size),
        ]
        if let restartsPath = config.reliability.restartsPath {
            // Under `mnist-mpi elastic` (which passes the restarts file) rank 0 marks its progress.
            let marker = writesCheckpoint ? config.reliability.checkpointPath.flatMap { ProgressMarker(checkpoint: $0) } : nil
            observers.append(ElasticStepMarker(marker: marker) { [unowned self] in
                noteFirstStepAfterRestart(restartsPath: restartsPath)
            })
        }
        if let timeline { observers.append(TimelineSpans(recorder: timeline)) }
        if let outputs { observers.append(MetricsFileLines(outputs: outputs)) }
        if let tensorboard {
            observers.append(TensorBoardScalars(writer: tensorboard, everySteps: config.reporting.tensorboardEvery))
        }
        if testHooks.perturbRank != nil || testHooks.failRank != nil || testHooks.slowRank != nil {
            observers.append(TestHookFaults(hooks: testHooks, rank: communicator.rank, parameters: model.parameters))
        }
        observers.append(stragglers)
        observers.append(ParameterSyncCheck(
            parameters: model.parameters, communicator: communicator, everyEpochs: config.reporting.logEvery))
        // With a target, its tracker decides when to evaluate.
        observers.append(target ?? EvaluationSchedule(everyEpochs: config.reporting.evalEvery))
        if let patience = config.optimization.earlyStopPatience {
            observers.append(EarlyStopping(patience: patience, logger: logger))
        }
        observers.append(CheckpointPolicy(
            everyEpochs: config.reliability.checkpointEvery, everySteps: config.reliability.checkpointEverySteps,
            epochs: config.optimization.epochs))
        return observers
    }

    /// Rank 0 reads the elastic job's restarts (`--restarts-file`), logs the latest, and marks
    /// the rank count and the restart count at `step` in TensorBoard. A file that cannot be read
    /// is named in one warning line: it only describes the job.
    func readRestarts(ranks: Int, atStep step: Int, tensorboard: TensorBoardWriter?) throws {
        guard communicator.isRoot, let path = configuration.reliability.restartsPath else { return }
        do {
            restarts = try RestartHistory.read(path: path)
        } catch {
            logger.info("warning: cannot read the restarts file \(path) (\(error)): the summary lists no restarts")
        }
        if let last = restarts.last { logger.info("elastic: \(last.description) (\(restarts.count) so far)") }
        tensorboard?.scalars(
            [(TensorBoardTags.elasticRanks, Double(ranks)), (TensorBoardTags.elasticRestarts, Double(restarts.count))],
            step: step)
    }

    /// After the first step of a relaunch: the restart's recovery time, written back to the
    /// restarts file at `path` and logged (rank 0).
    func noteFirstStepAfterRestart(restartsPath path: String) {
        guard communicator.isRoot, !restarts.isEmpty,
              restarts[restarts.count - 1].firstStepAt == nil else { return }
        restarts[restarts.count - 1].firstStepAt = Date().timeIntervalSince1970
        try? RestartHistory.write(restarts, to: path)
        if let seconds = restarts.last?.recoverySeconds {
            logger.info(String(format: "elastic: first step %.2f s after the previous job ended", seconds))
        }
    }
}
