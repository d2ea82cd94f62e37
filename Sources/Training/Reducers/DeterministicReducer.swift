import NeuralNet
import SwiftMPI

/// `--deterministic`: the global batch is cut into M micro-batches; rank r computes micro-batches
/// `r·M/P ..< (r+1)·M/P` one at a time (the same kernel at the same shape), keeps each one's
/// gradient and control values, sums its share by `MicroBatchTree`'s blocks, and every rank
/// completes the tree from all ranks' block sums (one `MPI_Allgather`, or `MPI_Allgatherv` when
/// ranks hold different numbers of blocks). The sum's bits do not
/// depend on the rank count P (any P that divides M). No compression, no overlap; no
/// checkpoint state.
///
/// Cost against one allreduce: each rank receives every other rank's block sums (`P - 1` to
/// `~2(P - 1)` buffers instead of about 2), and copies each micro-batch's gradient once.
final class DeterministicReducer: GradientReducer {
    let buffer: FloatBuffer
    private let communicator: Communicator
    private let tree: MicroBatchTree
    private let count: Int
    /// The leaves (global micro-batch indices) of this rank.
    private let ownLeaves: Range<Int>
    /// `[ownLeaves.count × count]`: each local micro-batch's values, summed in place by blocks.
    private let leaves: FloatBuffer
    /// Every rank's blocks, in rank order, and this rank's.
    private let allBlocks: [Range<Int>]
    private let ownBlocks: [Range<Int>]
    /// `[ownBlocks.count × count]` this rank's block sums, and `[allBlocks.count × count]` all.
    private let sending: FloatBuffer
    private let gathered: FloatBuffer
    private let layout: AllGatherLayout

    static func check(_ context: ReducerContext) throws {
        // What it combines with is ReductionRules' (checked with the options).
        guard let microBatches = context.microBatches else { return }
        let ranks = context.communicator.size
        guard microBatches % ranks == 0 else {
            let fits = (1...microBatches).filter { microBatches % $0 == 0 }.map(String.init).joined(separator: ", ")
            throw context.unavailable(
                "--deterministic", "", "the global batch's \(microBatches) micro-batches do not divide over \(ranks) ranks: run on \(fits) ranks, or change --micro-batch")
        }
    }

    static func make(_ context: ReducerContext) throws -> DeterministicReducer? {
        guard let microBatches = context.microBatches else { return nil }
        return try DeterministicReducer(context, microBatches: microBatches)
    }

    private init(_ context: ReducerContext, microBatches: Int) throws {
        let communicator = context.communicator, count = context.count
        let tree = MicroBatchTree(leafCount: microBatches)
        let ranks = communicator.size, share = microBatches / ranks
        let blocksByRank = (0..<ranks).map { tree.blocks(covering: ($0 * share)..<(($0 + 1) * share)) }
        self.communicator = communicator
        self.count = count
        self.tree = tree
        ownLeaves = (communicator.rank * share)..<((communicator.rank + 1) * share)
        allBlocks = blocksByRank.flatMap { $0 }
        ownBlocks = blocksByRank[communicator.rank]
        buffer = FloatBuffer(count: count)
        leaves = FloatBuffer(count: share * count)
        sending = FloatBuffer(count: ownBlocks.count * count)
        gathered = FloatBuffer(count: allBlocks.count * count)
        layout = try AllGatherLayout(counts: blocksByRank.map { $0.count * context.count })
    }

    var description: String {
        "deterministic tree sum (\(tree.leafCount) micro-batches, \(ownLeaves.count) per rank, \(layout.uniform ? "MPI_Allgather" : "MPI_Allgatherv") of \(allBlocks.count) block sums)"
    }

    var valuesPerSum: [Int] { communicator.size > 1 ? [layout.total] : [] }
    var microBatchesPerRank: Int { ownLeaves.count }

    func microBatchDone(_ index: Int) throws {
        (leaves.pointer + index * count).update(from: buffer.pointer, count: count)
    }

    func reduce(step: Int) throws {
        // This rank's blocks, each summed by the tree in place (into its first leaf).
        let first = ownLeaves.lowerBound
        for (index, block) in ownBlocks.enumerated() {
            let top = tree.combine(
                block, slot: { $0.count == 1 ? $0.lowerBound - first : nil },
                add: { add(self.leaves.pointer + $0 * self.count, self.leaves.pointer + $1 * self.count) })
            guard let top else { preconditionFailure("an empty block") }
            (sending.pointer + index * count).update(from: leaves.pointer + top * count, count: count)
        }
        try communicator.allGather(UnsafeBufferPointer(sending.buffer), into: gathered.buffer, layout: layout)
        // Every rank completes the same tree from the same block sums.
        let root = tree.combine(
            0..<tree.span, slot: { self.allBlocks.firstIndex(of: $0) },
            add: { add(self.gathered.pointer + $0 * self.count, self.gathered.pointer + $1 * self.count) })
        guard let root else { preconditionFailure("a tree without leaves") }
        buffer.pointer.update(from: gathered.pointer + root * count, count: count)
    }

    /// a[i] += b[i] over the step's values.
    private func add(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>) {
        addElementwise(a, b, count: count)
    }
}

/// a[i] += b[i], element by element (the tree's order is the only order there is; vector lanes
/// add independent elements, so vectorising changes no bit), in a function of its own so that
/// the compiler sees two plain pointers and a local count and vectorises the loop.
@inline(never)
func addElementwise(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { a[i] += b[i] }
}
