import NeuralNet
import SwiftMPI

/// `--compression powersgd` on more than one rank: after `--powersgd-warmup-steps` plain
/// float32 steps, the weight matrices travel as rank-r factors P and Q in two allreduces (P with
/// the biases and control values, then Q), with error feedback (`PowerSGDCompressor` does the
/// algebra). Its checkpoint state is Q (the same on every rank) and every rank's error feedback.
final class PowerSGDReducer: GradientReducer {
    let buffer: FloatBuffer
    private let communicator: Communicator
    private let compressor: PowerSGDCompressor
    private let warmupSteps: Int
    private let parameterCount: Int
    private let controlCount: Int
    /// `[pCount + uncompressedCount + controlCount]` and `[qCount]`: the two sums of a step.
    private let firstSum: FloatBuffer
    private let secondSum: FloatBuffer

    static func make(_ context: ReducerContext) throws -> PowerSGDReducer? {
        // On one rank there is nothing to send and nothing is compressed.
        context.settings.compression == .powerSGD && context.communicator.size > 1 ? PowerSGDReducer(context) : nil
    }

    private init(_ context: ReducerContext) {
        communicator = context.communicator
        compressor = PowerSGDCompressor(layout: context.layout, rank: context.settings.powerSGDRank, seed: context.seed)
        warmupSteps = context.settings.powerSGDWarmupSteps
        parameterCount = context.layout.parameterCount
        controlCount = context.controlCount
        buffer = FloatBuffer(count: context.count)
        firstSum = FloatBuffer(count: compressor.pCount + compressor.uncompressedCount + context.controlCount)
        secondSum = FloatBuffer(count: compressor.qCount)
    }

    var description: String {
        "PowerSGD rank \(compressor.rank) MPI_Allreduce (\(compressor.floatsPerStep) floats a step after "
            + "\(warmupSteps) uncompressed steps, against \(buffer.count))"
    }

    var valuesPerSum: [Int] { [firstSum.count, secondSum.count] }

    func reduce(step: Int) throws {
        guard step >= warmupSteps else {
            try communicator.allReduce(buffer.buffer, .sum)
            return
        }
        // The control values ride after PowerSGD's part of the first sum.
        let controls = buffer.pointer + parameterCount
        let controlsAt = compressor.pCount + compressor.uncompressedCount
        (firstSum.pointer + controlsAt).update(from: controls, count: controlCount)
        try compressor.exchange(
            gradients: buffer.pointer, first: firstSum.buffer, second: secondSum.buffer, ranks: communicator.size,
            sum: { try communicator.allReduce($0, .sum) })
        controls.update(from: firstSum.pointer + controlsAt, count: controlCount)
    }

    var stateOwner: String? { "PowerSGD" }

    /// The checkpoint section's name.
    static let stateName = "powersgd"

    /// Whether a checkpoint section can be PowerSGD's: Q's factors at its rank (the tag), then
    /// `ranks` error buffers of `parameters` values.
    static let stateProblem: @Sendable (Checkpoint.ReducerSection, Int, NetworkLayout) -> String? = { section, ranks, layout in
        let parameters = layout.parameterCount
        guard let rank = section.tag, (1...TrainingConfiguration.limits.width).contains(rank),
              (1...CheckpointFile.maximumStateRanks).contains(ranks),
              let factors = PowerSGDCompressor.factorCounts(layout: layout, rank: rank)
        else {
            return "a PowerSGD state without a valid rank (\(section.tag.map(String.init) ?? "none")) or rank count"
        }
        let (errors, overflow1) = ranks.multipliedReportingOverflow(by: parameters)
        let (expected, overflow2) = errors.addingReportingOverflow(factors.q)
        guard !overflow1, !overflow2, section.count == expected else {
            return "a PowerSGD state of \(section.count) values, expected \(factors.q) + \(ranks) x \(parameters)"
        }
        return nil
    }

    func checkpointState() throws -> ReducerState? {
        let errors = try communicator.gather(compressor.errors.array)
        return ReducerState(name: Self.stateName, tag: compressor.rank, values: compressor.q.array + errors)
    }

    func restore(_ state: ReducerState?, writtenOnRanks: Int?) throws -> Bool {
        let expectedCount = compressor.qCount + communicator.size * compressor.errors.count
        var usable: [Int32] = [
            state?.name == Self.stateName && state?.tag == compressor.rank && writtenOnRanks == communicator.size
                && state?.values.count == expectedCount ? 1 : 0,
        ]
        try communicator.broadcast(&usable, root: 0)
        guard usable[0] == 1 else { return false }
        // Only rank 0 read the checkpoint: Q goes to all, each rank's errors to it.
        let values = state?.values ?? []
        if communicator.isRoot { compressor.q.assign(Array(values.prefix(compressor.qCount))) }
        try communicator.broadcast(compressor.q.buffer, root: 0)
        let errors = try communicator.scatter(
            communicator.isRoot ? Array(values.dropFirst(compressor.qCount)) : [], count: compressor.errors.count)
        compressor.errors.assign(errors)
        return true
    }
}
