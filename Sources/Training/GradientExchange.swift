import SwiftMPI
import NeuralNet

/// Sums the gradients (and a few control values) over all ranks once per step.
///
/// The flat buffer holds every gradient followed by the control slots, so one allreduce moves
/// all of it. Options:
/// - overlapped: one nonblocking allreduce per layer, started as soon as backward has finished
///   that layer (last layer first) and driven by `MPI_Test` while the earlier layers compute
///   (DDP-style buckets); `finish()` waits for all of them.
/// - compressed: the values travel as bfloat16 (half the bytes, summed in float32 and rounded).
/// - PowerSGD: after its warm-up steps, the weight matrices travel as rank-r factors P and Q in
///   two allreduces (P with the biases and control values, then Q), with error feedback
///   (`PowerSGDCompressor`); on one rank there is nothing to send and nothing is compressed.
/// - shared memory: the buffer is the rank's segment of its node's MPI-3 shared-memory window
///   and the sum is done in place, across nodes hierarchically (see `SharedMemoryAllReducer`).
final class GradientExchange {
    /// The control values after the gradients.
    enum Slot {
        static let count = 3
        /// This rank's batch cost (after the sum: all ranks' costs).
        static let cost = 0
        /// What bfloat16 lost of the cost (0 uncompressed), so the summed cost stays precise.
        static let costResidual = 1
        /// 1 if this rank was asked to stop (after the sum: > 0 if any rank was).
        static let stop = 2
    }

    let communicator: Communicator
    let layout: MLPLayout
    let overlapped: Bool
    let compressed: Bool
    /// The PowerSGD state when `--compression powersgd` runs on more than one rank.
    let powerSGD: PowerSGDCompressor?
    let powerSGDWarmupSteps: Int
    /// `[pCount + uncompressedCount + Slot.count]` and `[qCount]`: what PowerSGD sums.
    private let powerSGDFirstSum: FloatBuffer?
    private let powerSGDSecondSum: FloatBuffer?
    /// The shared-memory reducer, when used.
    private let sharedMemory: SharedMemoryAllReducer?
    /// `[parameterCount + Slot.count]` gradients then control values.
    let buffer: FloatBuffer
    /// `[parameterCount]` a view of the gradients, for the model to write into.
    let gradients: FloatBuffer
    /// bfloat16 copy of `buffer` when compressed.
    private let bits: UnsafeMutablePointer<UInt16>
    /// Per layer: the range of `buffer` its bucket covers (the last layer's includes the slots).
    private let buckets: [Range<Int>]
    private var pending: [Request] = []

    /// - Parameter method: how the sum is done; `.automatic` takes shared memory (hierarchical
    ///   across nodes) when the nodes hold equal rank counts and neither overlap nor compression
    ///   is asked for. Collective: every rank reaches the same verdict.
    init(
        communicator: Communicator, layout: MLPLayout, overlapped: Bool, compression: GradientCompression,
        method: AllReduceMethod, powerSGDRank: Int, powerSGDWarmupSteps: Int, seed: UInt64
    ) throws {
        self.communicator = communicator
        self.layout = layout
        self.overlapped = overlapped
        let compressed = compression == .bf16
        self.compressed = compressed
        let powerSGD = compression == .powerSGD && communicator.size > 1
            ? PowerSGDCompressor(layout: layout, rank: powerSGDRank, seed: seed) : nil
        self.powerSGD = powerSGD
        self.powerSGDWarmupSteps = powerSGDWarmupSteps
        powerSGDFirstSum = powerSGD.map { FloatBuffer(count: $0.pCount + $0.uncompressedCount + Slot.count) }
        powerSGDSecondSum = powerSGD.map { FloatBuffer(count: $0.qCount) }
        let count = layout.parameterCount + Slot.count
        func unavailable(_ rule: String) -> TrainingError {
            .invalidOption(option: "--allreduce", value: "shared-memory", rule: rule)
        }
        if method == .sharedMemory, overlapped || compression != .none {
            throw unavailable("does not combine with --overlap or --compression")
        }
        let wantsSharedMemory = method == .sharedMemory
            || (method == .automatic && !overlapped && compression == .none && communicator.size > 1)
        sharedMemory = wantsSharedMemory
            ? try SharedMemoryAllReducer.make(communicator: communicator, count: count) : nil
        if method == .sharedMemory, sharedMemory == nil {
            throw unavailable("needs nodes with equal rank counts, more than one each (or a single node)")
        }
        if let sharedMemory {
            buffer = FloatBuffer(borrowing: sharedMemory.buffer, owner: sharedMemory)
        } else {
            buffer = FloatBuffer(count: count)
        }
        gradients = FloatBuffer(viewing: buffer, offset: 0, count: layout.parameterCount)
        bits = UnsafeMutablePointer<UInt16>.allocate(capacity: compressed ? count : 1)
        buckets = layout.layers.enumerated().map { index, layer in
            let end = index == layout.layers.count - 1 ? count : layer.biasOffset + layer.outputs
            return layer.weightOffset..<end
        }
        pending.reserveCapacity(layout.layers.count)
    }

    deinit {
        bits.deallocate()
    }

    /// Which sum is in use, for the log.
    var methodDescription: String {
        if let sharedMemory {
            return sharedMemory.nodeCount == 1
                ? "shared-memory allreduce"
                : "hierarchical allreduce (shared memory on each of \(sharedMemory.nodeCount) nodes, MPI across)"
        }
        if let powerSGD {
            return "PowerSGD rank \(powerSGD.rank) MPI_Allreduce (\(powerSGD.floatsPerStep) floats a step after "
                + "\(powerSGDWarmupSteps) uncompressed steps, against \(buffer.count))"
        }
        return (overlapped ? "overlapped " : "") + (compressed ? "bfloat16 " : "") + "MPI_Allreduce"
    }

    /// The values of each allreduce of a step (PowerSGD after its warm-up: P with the
    /// uncompressed parts and control values, then Q; none on one rank).
    var valuesPerSum: [Int] {
        guard communicator.size > 1 else { return [] }
        if let powerSGD { return [powerSGD.pCount + powerSGD.uncompressedCount + Slot.count, powerSGD.qCount] }
        return [buffer.count]
    }

    /// Bytes this rank hands the allreduce per step (PowerSGD: after its warm-up).
    var bytesPerStep: Int { valuesPerSum.reduce(0, +) * (compressed ? 2 : 4) }

    /// Releases MPI resources (the shared window). Collective; call before MPI_Finalize.
    func close() throws {
        try sharedMemory?.close()
    }

    /// The control values (`Slot` indices), valid to write before the step's reduction and to
    /// read after `finish()`.
    var controls: UnsafeMutablePointer<Float> { buffer.pointer + layout.parameterCount }

    /// Sets this rank's control values for the step.
    func setControls(cost: Double, stopRequested: Bool) {
        let value = Float(cost)
        controls[Slot.cost] = value
        controls[Slot.costResidual] = 0
        if compressed {
            var rounded: UInt16 = 0
            withUnsafePointer(to: value) { BFloat16Codec.encode($0, into: &rounded, count: 1) }
            var kept: Float = 0
            withUnsafePointer(to: rounded) { BFloat16Codec.decode($0, into: &kept, count: 1) }
            controls[Slot.costResidual] = value - kept
        }
        controls[Slot.stop] = stopRequested ? 1 : 0
    }

    /// Backward has finished layer `index`: with overlap, start its bucket's reduction and
    /// drive the ones in flight.
    func layerReady(_ index: Int) throws {
        guard overlapped else { return }
        let range = buckets[index]
        if compressed {
            BFloat16Codec.encode(buffer.pointer + range.lowerBound, into: bits + range.lowerBound, count: range.count)
            pending.append(try communicator.startAllReduceSumBFloat16(
                UnsafeMutableBufferPointer(start: bits + range.lowerBound, count: range.count)))
        } else {
            pending.append(try communicator.startAllReduce(
                UnsafeMutableBufferPointer(start: buffer.pointer + range.lowerBound, count: range.count), .sum))
        }
        for i in pending.indices { _ = try pending[i].test() }
    }

    /// Completes the step's reduction: afterwards `buffer` holds the sums on every rank (with
    /// PowerSGD past its warm-up, the weight matrices' sums approximated).
    ///
    /// - Parameter step: the optimizer step this is (0-based over the whole run).
    func finish(step: Int) throws {
        let count = buffer.count
        if let powerSGD, let first = powerSGDFirstSum, let second = powerSGDSecondSum, step >= powerSGDWarmupSteps {
            // The control values ride after PowerSGD's part of the first sum.
            let controlsAt = powerSGD.pCount + powerSGD.uncompressedCount
            (first.pointer + controlsAt).update(from: controls, count: Slot.count)
            try powerSGD.exchange(
                gradients: buffer.pointer, first: first.buffer, second: second.buffer, ranks: communicator.size,
                sum: { try communicator.allReduce($0, .sum) })
            controls.update(from: first.pointer + controlsAt, count: Slot.count)
        } else if overlapped {
            for i in pending.indices { try pending[i].wait() }
            pending.removeAll(keepingCapacity: true)
            if compressed { BFloat16Codec.decode(bits, into: buffer.pointer, count: count) }
        } else if compressed {
            BFloat16Codec.encode(buffer.pointer, into: bits, count: count)
            try communicator.allReduceSumBFloat16(UnsafeMutableBufferPointer(start: bits, count: count))
            BFloat16Codec.decode(bits, into: buffer.pointer, count: count)
        } else if let sharedMemory {
            try sharedMemory.sumInPlace()
        } else {
            try communicator.allReduce(buffer.buffer, .sum)
        }
    }

    /// The summed cost of all ranks' batches this step.
    var summedCost: Double { Double(controls[Slot.cost]) + Double(controls[Slot.costResidual]) }

    /// Whether any rank asked to stop this step.
    var stopRequested: Bool { controls[Slot.stop] > 0 }
}
