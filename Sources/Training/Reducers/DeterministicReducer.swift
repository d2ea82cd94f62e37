import NeuralNet
import SwiftMPI

/// `--deterministic`: the global batch is cut into M micro-batches; rank r computes micro-batches
/// `r·M/P ..< (r+1)·M/P` (one at a time, or as leaf passes: the same kernels at the same shapes), each writing its
/// gradient and control values straight into its leaf's slot, summed by `MicroBatchTree` as they
/// are produced (`LeafAccumulator`: in place, while in cache), so that each of the rank's blocks
/// ends in its row of the node's shared memory (`NodeSharedRows`). Every rank then completes the
/// tree's upper levels on its slice of the elements, in place in those rows; across nodes each
/// node does so on its part of the slice after the other nodes' rows of that part have arrived
/// (point to point), and the root's parts are then shared (one `MPI_Allgatherv`), a
/// reduce-scatter and an all-gather as an allreduce does them. The sum's bits do not depend on the rank count P (any P that
/// divides M) nor on how ranks share nodes. Where the nodes do not fit the node-by-node
/// exchange (different rank counts per node), the block sums travel by one `MPI_Allgather(v)`
/// and every rank completes the tree on all elements. No compression, no overlap; no
/// checkpoint state.
///
/// Cost against one allreduce: M/P - blocks tree additions per rank as leaves are produced
/// (memory bandwidth: the 1 MB values are in cache), the upper levels on a 1/P slice, and
/// across nodes each node receives the other nodes' block sums of its 1/nodes of the elements.
final class DeterministicReducer: GradientReducer {
    let buffer: FloatBuffer
    private let communicator: Communicator
    private let tree: MicroBatchTree
    private let count: Int
    /// The leaves (global micro-batch indices) of this rank.
    private let ownLeaves: Range<Int>
    /// Every rank's blocks, in rank order.
    private let allBlocks: [Range<Int>]
    /// The tree's upper levels over the rows of `allBlocks`: its additions `(into, from)` in
    /// order and the row the root ends in.
    private let upperLevels: (additions: [(into: Int, from: Int)], root: Int)
    /// Elements of the upper levels added at a time: 4 KiB of each row.
    private static let chunk = 1024
    /// Where the block sums live and the upper levels are added.
    private let rows: BlockRows
    private let accumulator: LeafAccumulator

    /// Where the last step's sums are: the tree's root, read in place (the rows it is in are
    /// not written again before every rank has passed the next step's first synchronisation).
    private(set) var sums: UnsafeMutablePointer<Float>

    /// The block sums: the node's shared rows, in two alternating sets where the node has more
    /// than one rank (a rank may write the next step's leaves while another still copies this
    /// step's root), or, where nodes differ,
    /// this rank's rows sent whole and every rank's gathered.
    private enum BlockRows {
        case shared([NodeSharedRows])
        case gathered(own: FloatBuffer, all: FloatBuffer, layout: AllGatherLayout)
    }
    /// Which of the two shared sets this step uses.
    private var parity = 0
    /// This rank's block rows in each shared set (made once: the step allocates nothing).
    private let ownRowsBySet: [[UnsafeMutablePointer<Float>]]

    static func check(_ context: ReducerContext) throws {
        // What it combines with is ReductionRules' (checked with the options).
        guard let microBatches = context.microBatches else { return }
        let ranks = context.communicator.size
        guard microBatches % ranks == 0 else {
            let fits = (1...microBatches).filter { microBatches % $0 == 0 }.map(String.init).joined(separator: ", ")
            throw context.unavailable(
                "--deterministic", "", "the global batch's \(microBatches) micro-batches do not divide over \(ranks) ranks: run on \(fits) ranks, or change --micro-batch or --same-bits-on")
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
        var firstRow = 0
        let rowsByRank = blocksByRank.map { blocks -> Range<Int> in
            defer { firstRow += blocks.count }
            return firstRow..<(firstRow + blocks.count)
        }
        self.communicator = communicator
        self.count = count
        self.tree = tree
        ownLeaves = (communicator.rank * share)..<((communicator.rank + 1) * share)
        allBlocks = blocksByRank.flatMap { $0 }
        var additions: [(into: Int, from: Int)] = []
        let blocks = allBlocks
        guard let root = tree.combine(0..<tree.span, slot: { blocks.firstIndex(of: $0) }, add: { additions.append(($0, $1)) }) else {
            preconditionFailure("a tree without leaves")
        }
        upperLevels = (additions, root)
        let ownBlockRange = rowsByRank[communicator.rank]
        buffer = FloatBuffer(count: count)
        sums = buffer.pointer
        if let first = try NodeSharedRows.make(communicator: communicator, rowLength: count, rowsOfRank: rowsByRank) {
            // A second set only where another rank of the node may still read the first (the
            // same verdict on every rank: nodes hold equal rank counts).
            let second = first.ranksOnNode > 1
                ? try NodeSharedRows.make(communicator: communicator, rowLength: count, rowsOfRank: rowsByRank) : nil
            let sets = [first] + (second.map { [$0] } ?? [])
            rows = .shared(sets)
            let ownRows = sets.map { set in ownBlockRange.map { set.row($0) } }
            ownRowsBySet = ownRows
            accumulator = LeafAccumulator(blocks: blocksByRank[communicator.rank], count: count, blockRows: ownRows[0])
        } else {
            let own = FloatBuffer(count: ownBlockRange.count * count)
            rows = .gathered(
                own: own, all: FloatBuffer(count: allBlocks.count * count),
                layout: try AllGatherLayout(counts: blocksByRank.map { $0.count * count }))
            ownRowsBySet = [ownBlockRange.indices.map { own.pointer + $0 * count }]
            accumulator = LeafAccumulator(blocks: blocksByRank[communicator.rank], count: count, blockRows: ownRowsBySet[0])
        }
    }

    var description: String {
        let sum: String
        switch rows {
        case .shared(let sets) where sets[0].nodeCount > 1:
            sum = "upper levels in shared memory, each of \(sets[0].nodeCount) nodes on its part of the elements with the others' block sums of it, MPI_Allgatherv of the root's parts"
        case .shared:
            sum = "upper levels in shared memory"
        case .gathered(_, _, let layout):
            sum = "\(layout.uniform ? "MPI_Allgather" : "MPI_Allgatherv") of \(allBlocks.count) block sums"
        }
        let pairs = accumulator.addsLeafPairsInBackward ? ", leaf pairs added by backward" : ""
        return "deterministic tree sum (\(tree.leafCount) micro-batches, \(ownLeaves.count) per rank summed in place\(pairs), \(sum))"
    }

    var valuesPerSum: [Int] {
        guard communicator.size > 1 else { return [] }
        switch rows {
        case .shared(let sets):
            // A node sends each other node its block sums of that node's part of the elements,
            // then its part of the root: (rows + 1) · (nodes - 1) / nodes of a row, per node.
            let nodes = sets[0].nodeCount
            return nodes > 1 ? [(allBlocks.count / nodes + 1) * count * (nodes - 1) / nodes] : []
        case .gathered(_, _, let layout): return [layout.total]
        }
    }

    var microBatchesPerRank: Int { ownLeaves.count }

    func microBatchSlot(_ index: Int) -> MicroBatchSlot {
        accumulator.slot(forLeaf: ownLeaves.lowerBound + index)
    }

    func backwardAddsExactly() {
        accumulator.addsLeafPairsInBackward = true
    }

    func microBatchDone(_ index: Int) throws {
        accumulator.leafDone(ownLeaves.lowerBound + index)
    }

    func microBatchDone(_ index: Int, elements: Range<Int>) throws {
        accumulator.leafDone(ownLeaves.lowerBound + index, elements: elements)
    }

    func reduce(step: Int) throws {
        switch rows {
        case .shared(let sets):
            let set = sets[parity]
            try set.synchronize()  // every block sum of the node written
            // Across nodes each node completes the tree on its part of the slice, with the
            // other nodes' block sums of that part, and the parts of the root are then shared.
            try set.exchangeCrossSlices()
            // Every rank completes the same tree on its slice of the same block sums, a chunk of
            // the slice at a time (the chunk's rows stay in L1 from the first level to the root).
            let slice = set.crossSlice
            for start in Swift.stride(from: slice.lowerBound, to: slice.upperBound, by: Self.chunk) {
                let length = min(Self.chunk, slice.upperBound - start)
                for (into, from) in upperLevels.additions { addElementwise(set.row(into) + start, set.row(from) + start, count: length) }
            }
            let root = upperLevels.root
            try set.gatherAcrossNodes(row: root)
            try set.synchronize()  // every slice of the root added
            sums = set.row(root)
            // The next step writes the other set: this one is read until every rank has copied.
            if sets.count > 1 {
                parity = 1 - parity
                accumulator.setBlockRows(ownRowsBySet[parity])
            }
        case .gathered(let own, let all, let layout):
            try communicator.allGather(UnsafeBufferPointer(own.buffer), into: all.buffer, layout: layout)
            for (into, from) in upperLevels.additions {
                addElementwise(all.pointer + into * count, all.pointer + from * count, count: count)
            }
            let root = upperLevels.root
            sums = all.pointer + root * count
        }
    }

    func close() throws {
        if case .shared(let sets) = rows {
            for set in sets { try set.close() }
        }
    }
}

/// a[i] += b[i], element by element (the tree's order is the only order there is; vector lanes
/// add independent elements, so vectorising changes no bit), in the widest vectors this CPU has
/// (`VectorPasses.add`: a Swift loop compiles for the baseline's 4 lanes).
func addElementwise(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    VectorPasses.add(a, b, count: count)
}
