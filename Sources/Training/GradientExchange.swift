import SwiftMPI
import NeuralNet

/// The step's communication as the training loop sees it: a flat buffer holding every gradient
/// followed by a few control values (this rank's cost, a stop request), so that one reduction
/// moves all of them, summed by the gradient reducer the configuration picks
/// (`GradientReducers`).
final class GradientExchange {
    /// The control values after the gradients.
    enum Slot {
        static let count = 3
        /// This rank's batch cost (after the sum: all ranks' costs).
        static let cost = 0
        /// What the wire loses of the cost (0 in float32), so the summed cost stays precise.
        static let costResidual = 1
        /// 1 if this rank was asked to stop (after the sum: > 0 if any rank was).
        static let stop = 2
    }

    let reducer: any GradientReducer
    /// The compression that runs and why (`--compression auto` resolved).
    let compressionChoice: CompressionChoice
    /// `[parameterCount + Slot.count]` gradients then control values (the reducer's buffer).
    var buffer: FloatBuffer { reducer.buffer }
    /// `[parameterCount]` a view of the gradients, for the model to write into.
    let gradients: FloatBuffer
    /// The control values (`Slot` indices) after `finish(step:)`.
    var controls: UnsafeMutablePointer<Float> { reducer.sums + gradients.count }
    /// Views of the gradient sums where the reducer leaves them outside `buffer` (at most a
    /// few places, made once each: no allocation per step).
    private var sumViews: [FloatBuffer] = []

    /// Picks the reducer for `settings`. Collective: every rank reaches the same verdict.
    ///
    /// - Throws: `TrainingError.invalidOption` when an explicit choice cannot run here.
    /// - Parameters:
    ///   - microBatches: with `--deterministic`, the global batch's micro-batch count.
    ///   - resumedCompression: with `--compression auto` and `--resume`, what the checkpoint's
    ///     run chose (kept, so that the resumed run continues exactly).
    init(
        communicator: Communicator, layout: NetworkLayout, settings: CommunicationSettings, seed: UInt64,
        microBatches: Int? = nil, resumedCompression: GradientCompression? = nil
    ) throws {
        let requested = ReducerContext(
            communicator: communicator, layout: layout, count: layout.parameterCount + Slot.count, settings: settings,
            seed: seed, microBatches: microBatches)
        // `--compression auto` becomes a compression here, timed on the job's links.
        compressionChoice = try CompressionChoice.resolve(requested, resumed: resumedCompression)
        var resolved = settings
        resolved.compression = compressionChoice.compression
        reducer = try GradientReducers.make(ReducerContext(
            communicator: communicator, layout: layout, count: requested.count, settings: resolved,
            seed: seed, microBatches: microBatches))
        gradients = FloatBuffer(viewing: reducer.buffer, offset: 0, count: layout.parameterCount)
    }

    /// Which sum is in use, for the log.
    var methodDescription: String { reducer.description }

    /// The values of each collective of a step.
    var valuesPerSum: [Int] { reducer.valuesPerSum }

    /// Bytes this rank hands the collectives per step (PowerSGD: after its warm-up).
    var bytesPerStep: Int { valuesPerSum.reduce(0, +) * reducer.bytesPerValue }

    /// Releases MPI resources (the shared window). Collective; call before MPI_Finalize.
    func close() throws {
        try reducer.close()
    }

    /// Where local micro-batch `index` puts its gradients (`[parameterCount]`, followed by its
    /// control values): the reducer's buffer, or the micro-batch's slot of the deterministic
    /// tree (to overwrite or to add to).
    func microBatchSlot(_ index: Int) -> MicroBatchSlot {
        reducer.microBatchSlot(index)
    }

    /// The model's backward pass adds into a slot exactly (`Network.backwardAddsExactly`).
    func backwardAddsExactly() {
        reducer.backwardAddsExactly()
    }

    /// Sets (or, in a slot to add to, adds) the control values of the micro-batch of `slot`
    /// (between its forward and backward).
    func setControls(cost: Double, stopRequested: Bool, in slot: MicroBatchSlot) {
        let controls = slot.values + gradients.count
        let value = Float(cost)
        func put(_ index: Int, _ value: Float) { controls[index] = slot.adding ? controls[index] + value : value }
        put(Slot.cost, value)
        put(Slot.costResidual, value - reducer.wireValue(value))
        put(Slot.stop, stopRequested ? 1 : 0)
    }

    /// Backward has finished layer `index`.
    func layerReady(_ index: Int) throws {
        try reducer.layerReady(index)
    }

    /// Micro-batches this rank computes per step (1 unless deterministic).
    var microBatchesPerRank: Int { reducer.microBatchesPerRank }

    /// Local micro-batch `index` of the step is done.
    func microBatchDone(_ index: Int) throws {
        try reducer.microBatchDone(index)
    }

    /// Elements `elements` of local micro-batch `index` are done (`GradientReducer`'s part by
    /// part order).
    func microBatchDone(_ index: Int, elements: Range<Int>) throws {
        try reducer.microBatchDone(index, elements: elements)
    }

    /// Completes the step's reduction: afterwards `buffer` holds the sums on every rank. Tells
    /// the stall watchdog first that this rank has reached the step's collective.
    ///
    /// - Parameter step: the optimizer step this is (0-based over the whole run).
    func finish(step: Int) throws {
        StallWatchdog.arrive()
        try reducer.reduce(step: step)
    }

    /// `[parameterCount]` the gradients summed over every rank, after `finish(step:)`.
    var summedGradients: FloatBuffer {
        let sums = reducer.sums
        if sums == gradients.pointer { return gradients }
        if let view = sumViews.first(where: { $0.pointer == sums }) { return view }
        let view = FloatBuffer(borrowing: UnsafeMutableBufferPointer(start: sums, count: gradients.count), owner: reducer)
        sumViews.append(view)
        return view
    }

    /// The summed cost of all ranks' batches this step.
    var summedCost: Double { Double(controls[Slot.cost]) + Double(controls[Slot.costResidual]) }

    /// Whether any rank asked to stop this step.
    var stopRequested: Bool { controls[Slot.stop] > 0 }
}
