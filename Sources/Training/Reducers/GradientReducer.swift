import NeuralNet
import SwiftMPI

/// One way of summing a step's buffer (every gradient, then a few control values) over all
/// ranks: plain MPI, shared memory, overlapped, bfloat16 on the wire, PowerSGD, ...
///
/// A reducer owns its buffers, its per-step work and its checkpoint state. Adding one is one
/// file with a type that conforms, plus one line in `GradientReducers.candidates`; nothing in
/// the training loop changes. The loop's use of a reducer per step:
///
/// 1. backward writes gradients into `buffer` (or each micro-batch's `microBatchSlot(_:)`) and
///    calls `layerReady(_:)` after each layer (last layer first); the trainer writes the control
///    values after the gradients;
/// 2. `reduce(step:)` completes the sum: afterwards `sums` (`buffer` unless the reducer says
///    otherwise) holds the sums on every rank.
protocol GradientReducer: AnyObject {
    /// Refuses settings that ask for this reducer by name together with what it cannot do.
    /// Every candidate's check runs before any is made, so an explicit choice is never
    /// silently passed over for an earlier candidate.
    ///
    /// - Throws: `TrainingError.invalidOption` naming the option and what to do.
    static func check(_ context: ReducerContext) throws

    /// The reducer for `context`, or nil when it does not apply there (the next candidate is
    /// asked). Collective: every rank must reach the same answer.
    ///
    /// - Throws: `TrainingError.invalidOption` when the user asked for this reducer by name and
    ///   it cannot run here.
    static func make(_ context: ReducerContext) throws -> Self?

    /// `[context.count]`: the gradients, then the control values; after `reduce(step:)`, their
    /// sums over ranks.
    var buffer: FloatBuffer { get }

    /// How the sum is done, for the banner and the summary, e.g. "shared-memory allreduce".
    var description: String { get }

    /// The values of each collective of one step (empty where nothing travels, e.g. on one rank).
    var valuesPerSum: [Int] { get }

    /// Bytes one value takes on the wire (4 for float32, 2 for bfloat16).
    var bytesPerValue: Int { get }

    /// `value` as it arrives after crossing the wire (rounded, for bfloat16), so that the
    /// exchange can send what the wire loses alongside.
    func wireValue(_ value: Float) -> Float

    /// Backward has finished layer `index`: its values in `buffer` are final.
    func layerReady(_ index: Int) throws

    /// Micro-batches each rank computes per step, one forward and backward each (1 except
    /// where the reducer sums micro-batches itself, as `DeterministicReducer`).
    var microBatchesPerRank: Int { get }

    /// Where local micro-batch `index` of the step puts its values (`[count]`: gradients, then
    /// control values): `buffer`, overwritten, except where the reducer sums micro-batches
    /// itself. The same answer until `microBatchDone(index)`.
    func microBatchSlot(_ index: Int) -> MicroBatchSlot

    /// Local micro-batch `index` of the step is done: its values are in its slot.
    func microBatchDone(_ index: Int) throws

    /// Elements `elements` of local micro-batch `index` are in its slot (micro-batches produced
    /// part by part: every micro-batch's first part in order, then every one's next part, the
    /// parts covering `0..<count` once).
    func microBatchDone(_ index: Int, elements: Range<Int>) throws

    /// The model's backward pass was found to add into a slot bit for bit as a separate
    /// addition would (`Network.backwardAddsExactly`): a reducer that sums micro-batches may hand
    /// out slots to add into.
    func backwardAddsExactly()

    /// Completes the step's sum. `step` is the optimizer step, 0-based over the whole run.
    func reduce(step: Int) throws

    /// `[count]` where the step's sums are after `reduce(step:)`: `buffer`, or where the reducer
    /// left them (read them before the next step's `reduce`).
    var sums: UnsafeMutablePointer<Float> { get }

    /// The state a checkpoint keeps so that a resumed run continues exactly (nil: none).
    /// Collective; the result is complete on rank 0, where the checkpoint is written.
    func checkpointState() throws -> ReducerState?

    /// What keeps the state `checkpointState()` returns, for the resume line when a checkpoint's
    /// state does not fit ("PowerSGD"); nil for a reducer without state.
    var stateOwner: String? { get }

    /// Restores the state rank 0 read from a checkpoint (nil on other ranks, or when the
    /// checkpoint holds none). Collective.
    ///
    /// - Parameter writtenOnRanks: the rank count of the run that wrote it (rank 0's view).
    /// - Returns: whether the state was restored (the same verdict on every rank); false when
    ///   the checkpoint's state does not fit this reducer, which then starts afresh.
    func restore(_ state: ReducerState?, writtenOnRanks: Int?) throws -> Bool

    /// Releases MPI resources. Collective; called before MPI_Finalize on every rank.
    func close() throws
}

extension GradientReducer {
    static func check(_ context: ReducerContext) throws {}
    var bytesPerValue: Int { 4 }
    func wireValue(_ value: Float) -> Float { value }
    func layerReady(_ index: Int) throws {}
    var microBatchesPerRank: Int { 1 }
    func microBatchSlot(_ index: Int) -> MicroBatchSlot { MicroBatchSlot(values: buffer.pointer, adding: false) }
    func backwardAddsExactly() {}
    var sums: UnsafeMutablePointer<Float> { buffer.pointer }
    func microBatchDone(_ index: Int) throws {}
    func microBatchDone(_ index: Int, elements: Range<Int>) throws {}
    func checkpointState() throws -> ReducerState? { nil }
    var stateOwner: String? { nil }
    func restore(_ state: ReducerState?, writtenOnRanks: Int?) throws -> Bool { false }
    func close() throws {}
}

/// Where a micro-batch's values go: `[count]` floats, overwritten, or added to (`adding`: each
/// value `values[i] += v`, one rounding, as the tree's addition of that micro-batch would).
struct MicroBatchSlot {
    let values: UnsafeMutablePointer<Float>
    let adding: Bool
}

/// What a reducer keeps in a checkpoint: a section of its own, named by the reducer, with a
/// tag naming its shape (PowerSGD: its rank) and its values (stored after the optimizer's
/// moments). A stateful reducer needs no field of the checkpoint header: it names its section
/// and registers how to check one (`GradientReducers.stateLayouts`).
struct ReducerState: Equatable {
    /// The section's name, e.g. "powersgd".
    var name: String
    /// What the values' layout depends on (nil: nothing).
    var tag: Int?
    var values: [Float]
}

/// Everything a reducer is made from.
struct ReducerContext {
    let communicator: Communicator
    let layout: NetworkLayout
    /// Floats of the step's buffer: `layout.parameterCount` gradients, then control values.
    let count: Int
    let settings: CommunicationSettings
    /// The run's seed (PowerSGD draws its first Q from it, the same on every rank).
    let seed: UInt64
    /// With `--deterministic`: the global batch's micro-batch count M (nil otherwise).
    let microBatches: Int?

    /// The control values after the gradients.
    var controlCount: Int { count - layout.parameterCount }

    /// A reducer that needs `rule` but was asked for by `--allreduce shared-memory` or another
    /// explicit choice gets this error.
    func unavailable(_ option: String, _ value: String, _ rule: String) -> TrainingError {
        .invalidOption(option: option, value: value, rule: rule)
    }
}
