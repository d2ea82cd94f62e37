import NeuralNet
import SwiftMPI

/// `--compression auto`: which gradient compression this job runs, decided at start-up on the
/// job's own links, the same on every rank.
///
/// On one rank, one node (shared memory), with `--deterministic`, `--overlap` or `--allreduce
/// shared-memory` it is `none`. Across nodes each of `GradientCompression.autoCandidates`
/// (none, every 16-bit wire format, PowerSGD) is built and its
/// real step sum timed (`rounds` sums after a warm-up, median, the slowest rank's): the sum
/// includes each compression's own compute (encode and decode; PowerSGD's products and
/// orthonormalisation), so the figures are step-time predictions for the communication part,
/// which is all that differs. A compression is chosen only when it saves at least 30% of the
/// uncompressed sum: close calls stay uncompressed, so that noise does not flip the choice
/// between runs. Both compressions' accuracy cost is measured small (README: seed 91.73 vs
/// 91.76% with PowerSGD; bf16 within 0.1 point).
struct CompressionChoice {
    /// What runs (never `auto`).
    let compression: GradientCompression
    /// Why, in words for the banner and the summary.
    let reason: String
    /// Median seconds of one step's sum per compression (empty where nothing was timed).
    let secondsPerSum: [String: Double]

    /// A compression must take at most this share of the uncompressed sum's time to be chosen.
    static let requiredShare = 0.7
    static let rounds = 5

    /// Resolves `context.settings.compression`. Collective.
    ///
    /// - Throws: `MPIError`, or `TrainingError` from a reducer that cannot be built.
    /// - Parameter resumed: what the checkpoint's run chose, kept on a resume.
    static func resolve(_ context: ReducerContext, resumed: GradientCompression? = nil) throws -> CompressionChoice {
        let settings = context.settings
        guard settings.compression == .auto else {
            return CompressionChoice(compression: settings.compression, reason: "as asked", secondsPerSum: [:])
        }
        func fixed(_ reason: String) -> CompressionChoice {
            CompressionChoice(compression: .none, reason: reason, secondsPerSum: [:])
        }
        // What sums float32 only (ReductionRules) keeps none, whatever a checkpoint's run chose.
        if context.microBatches != nil { return fixed("--deterministic sums in float32") }
        if settings.overlap { return fixed("--overlap sends float32 buckets") }
        if settings.allReduceMethod == .sharedMemory { return fixed("--allreduce shared-memory") }
        if let resumed {
            return CompressionChoice(compression: resumed, reason: "as the checkpoint's run chose", secondsPerSum: [:])
        }
        if context.communicator.size == 1 { return fixed("one rank") }
        if try context.communicator.isSingleNode() { return fixed("one node: shared memory") }

        // Every candidate of the registry (none first: the baseline), its real step sum timed.
        let candidates = GradientCompression.autoCandidates
        var times: [Double] = []
        for compression in candidates {
            times.append(try timeSum(context, compression: compression))
        }
        // The slowest rank's figures, so that every rank decides alike.
        try context.communicator.allReduce(&times, .max)
        let named = zip(candidates.map(\.rawValue), times)
        let figures = Dictionary(uniqueKeysWithValues: named.map { ($0, $1) })
        let measured = named.map { String(format: "%@ %.2f ms", $0, $1 * 1000) }.joined(separator: ", ")
        // The fastest compression (the first of equals); `none` is the baseline it must beat.
        let compressed = zip(candidates, times).filter { $0.0 != .none }
        guard let baseline = zip(candidates, times).first(where: { $0.0 == .none })?.1,
              let (best, bestTime) = compressed.min(by: { $0.1 < $1.1 }) else {
            return fixed("nothing to choose from")
        }
        if bestTime <= requiredShare * baseline {
            return CompressionChoice(
                compression: best, reason: "fastest step sum on these links (\(measured))", secondsPerSum: figures)
        }
        return CompressionChoice(
            compression: .none,
            reason: "no compression saves 30% of the sum on these links (\(measured))", secondsPerSum: figures)
    }

    /// The median time of one step's sum with `compression`, through a throw-away reducer of
    /// that kind (PowerSGD past its warm-up). Collective.
    private static func timeSum(_ context: ReducerContext, compression: GradientCompression) throws -> Double {
        var settings = context.settings
        settings.compression = compression
        let trial = ReducerContext(
            communicator: context.communicator, layout: context.layout, count: context.count, settings: settings,
            seed: context.seed, microBatches: nil)
        let reducer = try GradientReducers.make(trial)
        defer { try? reducer.close() }
        // Small values of both signs, as gradients are (PowerSGD orthonormalises them).
        var random = RandomSource(seed: context.seed ^ 0x5A5A)
        for index in 0..<context.count {
            reducer.buffer[index] = Float(random.nextNormal(standardDeviation: 0.001))
        }
        let step = settings.powerSGDWarmupSteps
        try reducer.reduce(step: step)  // warm-up: connections, first-touch
        var seconds: [Double] = []
        for _ in 0..<rounds {
            let start = Communicator.wallTime()
            try reducer.reduce(step: step)
            seconds.append(Communicator.wallTime() - start)
        }
        return seconds.sorted()[seconds.count / 2]
    }
}
