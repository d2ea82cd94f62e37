import RunOutput
import SwiftMPI

/// Names a slow rank: each epoch every rank's work between sums (from the end of one step's sum
/// to the start of the next: its compute and whatever else slows it) and its wait in the sum are
/// gathered (one small collective at the epoch's end); rank 0 logs a line
/// when one rank's work has been more than `threshold` times the other ranks' median for
/// `patience` epochs in a row (which rank, by how much; the others wait for it in every sum),
/// then again at `--log-every` epochs while it lasts, and TensorBoard gets each rank's curves.
/// The run's totals per rank go to the summary.
final class StragglerReport: TrainingObserver {
    /// A rank is named when its compute is this many times the others' median...
    static let threshold = 1.25
    /// ...in this many consecutive epochs.
    static let patience = 2

    private let communicator: Communicator
    private let logger: Logger
    private let tensorboard: TensorBoardWriter?
    private let logEvery: Int
    /// This rank's work and wait seconds in the current epoch, and the steps they cover.
    private var compute = 0.0, wait = 0.0, steps = 0
    /// When this rank's last sum ended (or the epoch began).
    private var lastSumEnd = 0.0
    /// Every rank's seconds over the whole run (the same on every rank after each epoch).
    private(set) var computeSecondsPerRank: [Double]
    private(set) var waitSecondsPerRank: [Double]
    /// The rank slow in the latest epochs, and for how many in a row.
    private var slowRank: Int?
    private var slowEpochs = 0

    init(communicator: Communicator, logger: Logger, tensorboard: TensorBoardWriter?, logEvery: Int) {
        self.communicator = communicator
        self.logEvery = logEvery
        self.logger = logger
        self.tensorboard = tensorboard
        computeSecondsPerRank = Array(repeating: 0, count: communicator.size)
        waitSecondsPerRank = Array(repeating: 0, count: communicator.size)
    }

    func epochStarted(_ epoch: Int, now: Double) {
        compute = 0
        wait = 0
        steps = 0
        lastSumEnd = now
    }

    func stepEnded(_ report: StepReport) throws -> LoopRequests {
        compute += report.reduceStart - lastSumEnd
        wait += report.reduceEnd - report.reduceStart
        lastSumEnd = report.reduceEnd
        steps += 1
        return []
    }

    func epochEnding(at position: LoopPosition, metrics: EpochMetrics) throws -> LoopRequests {
        let ranks = communicator.size
        guard ranks > 1 else { return [] }
        // Each rank fills its own slots; the sum gathers them (a collective every rank joins).
        var values = [Double](repeating: 0, count: 2 * ranks)
        values[communicator.rank] = compute
        values[ranks + communicator.rank] = wait
        try communicator.allReduce(&values, .sum)
        let computes = Array(values[0..<ranks]), waits = Array(values[ranks...])
        for rank in 0..<ranks {
            computeSecondsPerRank[rank] += computes[rank]
            waitSecondsPerRank[rank] += waits[rank]
        }
        let stepsRun = Double(max(steps, 1))
        tensorboard?.scalars(
            (0..<ranks).flatMap { rank in
                [(TensorBoardWriter.Tag("ranks/compute_seconds_rank_\(rank)"), computes[rank]),
                 (TensorBoardWriter.Tag("ranks/wait_seconds_rank_\(rank)"), waits[rank])]
            },
            step: (position.epoch + 1) * position.stepsPerEpoch)
        // The slowest rank against the median of the others.
        guard let slowest = computes.indices.max(by: { computes[$0] < computes[$1] }) else { return [] }
        let others = computes.enumerated().filter { $0.offset != slowest }.map(\.element).sorted()
        let median = others[others.count / 2]
        guard median > 0, computes[slowest] > StragglerReport.threshold * median else {
            slowRank = nil
            slowEpochs = 0
            return []
        }
        slowEpochs = slowRank == slowest ? slowEpochs + 1 : 1
        slowRank = slowest
        if slowEpochs == StragglerReport.patience || (slowEpochs > StragglerReport.patience && position.epoch % logEvery == 0) {
            logger.info(String(
                format: "slow rank %d: its work between sums took %.2fx the other ranks' median for %d epochs (%.2f ms against %.2f ms a step); the others waited %.2f ms a step for it in the sum",
                slowest, computes[slowest] / median, slowEpochs, computes[slowest] / stepsRun * 1000, median / stepsRun * 1000,
                (waits.reduce(0, +) - waits[slowest]) / Double(ranks - 1) / stepsRun * 1000))
        }
        return []
    }
}
