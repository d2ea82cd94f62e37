import RunOutput
import SwiftMPI

/// Names a slow rank from each epoch's per-rank times (`EpochMetrics.workSecondsPerRank` and
/// `waitSecondsPerRank`, gathered by the loop's one collective at the epoch's end): rank 0 logs a
/// line when one rank's work between sums has been more than `threshold` times the other ranks'
/// median for `patience` epochs in a row (which rank, by how much; the others wait for it in
/// every sum), then again at `--log-every` epochs while it lasts; TensorBoard gets each rank's
/// curves. The run's totals per rank go to the summary. Under `mnist-mpi elastic` the heartbeats
/// carry the slow rank and how much faster the job would step without it (the work spread over
/// one rank fewer: the others' median x ranks / (ranks - 1)), for `--drop-slow-hosts`.
final class StragglerReport: TrainingObserver {
    /// A rank is named when its work is this many times the others' median...
    static let threshold = 1.25
    /// ...in this many consecutive epochs.
    static let patience = 2

    private let logger: Logger
    private let tensorboard: TensorBoardWriter?
    private let logEvery: Int
    /// Every rank's seconds over the epochs of this launch (empty on one rank).
    private(set) var workSecondsPerRank: [Double] = []
    private(set) var waitSecondsPerRank: [Double] = []
    /// The step the current epoch started at, for the times per step.
    private var firstStep = 0
    /// The rank slow in the latest epochs, and for how many in a row.
    private var slowRank: Int?
    private var slowEpochs = 0

    init(logger: Logger, tensorboard: TensorBoardWriter?, logEvery: Int) {
        self.logger = logger
        self.tensorboard = tensorboard
        self.logEvery = logEvery
    }

    func epochStarted(_ epoch: Int, now: Double) {
        firstStep = -1
    }

    func stepStarted(epoch: Int, step: Int) {
        if firstStep < 0 { firstStep = step }
    }

    func epochEnding(at position: LoopPosition, metrics: EpochMetrics) throws -> LoopRequests {
        guard let work = metrics.workSecondsPerRank, let wait = metrics.waitSecondsPerRank, work.count > 1 else { return [] }
        let ranks = work.count
        if workSecondsPerRank.isEmpty {
            workSecondsPerRank = Array(repeating: 0, count: ranks)
            waitSecondsPerRank = Array(repeating: 0, count: ranks)
        }
        for rank in 0..<ranks {
            workSecondsPerRank[rank] += work[rank]
            waitSecondsPerRank[rank] += wait[rank]
        }
        tensorboard?.scalars(
            (0..<ranks).flatMap { rank in
                [(TensorBoardWriter.Tag("ranks/compute_seconds_rank_\(rank)"), work[rank]),
                 (TensorBoardWriter.Tag("ranks/wait_seconds_rank_\(rank)"), wait[rank])]
            },
            step: (position.epoch + 1) * position.stepsPerEpoch)
        // The slowest rank against the median of the others.
        guard let slowest = work.indices.max(by: { work[$0] < work[$1] }) else { return [] }
        let others = work.enumerated().filter { $0.offset != slowest }.map(\.element).sorted()
        let median = others[others.count / 2]
        guard median > 0, work[slowest] > StragglerReport.threshold * median else {
            slowRank = nil
            slowEpochs = 0
            StallWatchdog.setSlowRank(nil, speedup: 0)
            return []
        }
        slowEpochs = slowRank == slowest ? slowEpochs + 1 : 1
        slowRank = slowest
        if slowEpochs >= StragglerReport.patience {
            StallWatchdog.setSlowRank(slowest, speedup: work[slowest] / (median * Double(ranks) / Double(ranks - 1)))
        }
        if slowEpochs == StragglerReport.patience || (slowEpochs > StragglerReport.patience && position.epoch % logEvery == 0) {
            let steps = Double(max(1, position.stepsDone - max(firstStep, 0)))
            logger.info(String(
                format: "slow rank %d: its work between sums took %.2fx the other ranks' median for %d epochs (%.2f ms against %.2f ms a step); the others waited %.2f ms a step for it in the sum",
                slowest, work[slowest] / median, slowEpochs, work[slowest] / steps * 1000, median / steps * 1000,
                (wait.reduce(0, +) - wait[slowest]) / Double(ranks - 1) / steps * 1000))
        }
        return []
    }
}
