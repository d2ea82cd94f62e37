import NeuralNet

/// Sums one rank's micro-batches by `MicroBatchTree` as they are produced (binary-counter
/// order), in place: each micro-batch writes its values straight into a slot, and as soon as a
/// node's right half is done it is added into its left half while it is still in cache. Each
/// of the rank's blocks ends in the block's own row (where its first leaf was written), so no
/// value is copied; at most log2(block size) scratch slots are live at once.
///
/// Every addition is one of the tree's (a node's left half plus its right half), so the block
/// sums have the bits `MicroBatchTree.combine` gives. The slots and additions are the same
/// every step: they are planned once (`LeafPlan`), so the leaves may also be produced part by
/// part (`leafDone(_:elements:)`: every leaf's first layer, then every leaf's next, ...), each
/// part's additions made while that part is in cache.
final class LeafAccumulator {
    /// The rank's blocks (global leaf ranges), in order.
    let blocks: [Range<Int>]
    private let count: Int
    /// Where each block's sum ends (its first leaf is written there).
    private var blockRows: [UnsafeMutablePointer<Float>]
    /// `[slots × stride]` the other leaves' and the pending nodes' values.
    private let scratch: FloatBuffer
    private let stride: Int
    private var plan: LeafPlan
    /// `[depth + 1]` the sums a leaf's chain of additions reads (made once: the step allocates nothing).
    private let chain: UnsafeMutablePointer<UnsafePointer<Float>?>
    /// Whether a right leaf is added into its left sibling by the backward pass itself
    /// (`Network.backwardAddsExactly` held): one addition a pair of leaves fewer, and the right
    /// leaf never stored on its own.
    var addsLeafPairsInBackward = false {
        didSet { plan = LeafPlan(blocks: blocks, pairsInBackward: addsLeafPairsInBackward) }
    }

    /// - Parameters:
    ///   - blocks: the rank's blocks, `MicroBatchTree.blocks(covering:)` of its leaves.
    ///   - count: floats per value.
    ///   - blockRows: where each block's sum is to end, `[count]` each.
    init(blocks: [Range<Int>], count: Int, blockRows: [UnsafeMutablePointer<Float>]) {
        precondition(blocks.count == blockRows.count, "a row per block")
        self.blocks = blocks
        self.count = count
        self.blockRows = blockRows
        plan = LeafPlan(blocks: blocks, pairsInBackward: false)
        let depth = blocks.map { $0.count.trailingZeroBitCount }.max() ?? 0
        stride = (count + 15) / 16 * 16
        scratch = FloatBuffer(count: max(depth, 1) * stride)
        chain = .allocate(capacity: depth + 2)
        chain.initialize(repeating: nil, count: depth + 2)
    }

    deinit {
        chain.deallocate()
    }

    /// Points the blocks' sums at other rows (e.g. the other of two alternating windows).
    func setBlockRows(_ rows: [UnsafeMutablePointer<Float>]) {
        precondition(rows.count == blocks.count, "a row per block")
        for index in rows.indices { blockRows[index] = rows[index] }
    }

    private func pointer(_ slot: LeafPlan.Slot) -> UnsafeMutablePointer<Float> {
        switch slot {
        case .block(let index): return blockRows[index]
        case .scratch(let index): return scratch.pointer + index * stride
        }
    }

    /// Where global leaf `leaf` goes: its block's row (a block's first leaf), a scratch slot, or,
    /// for a right leaf with `addsLeafPairsInBackward`, its left sibling's slot to add to.
    func slot(forLeaf leaf: Int) -> MicroBatchSlot {
        let step = plan.step(forLeaf: leaf)
        return MicroBatchSlot(values: pointer(step.slot), adding: step.adding)
    }

    /// Global leaf `leaf` is in its slot: adds every node it completes into its left half.
    func leafDone(_ leaf: Int) {
        leafDone(leaf, elements: 0..<count)
    }

    /// Elements `elements` of global leaf `leaf` are in its slot: adds them for every node it
    /// completes. Each leaf's parts are done in the same order as every other leaf's, and the
    /// leaves in order within each part.
    ///
    /// The additions a leaf makes form one chain (each node's sum is the next's right half, its
    /// slot freed after): they run in one pass (`VectorPasses.addChain`), the intermediate sums
    /// rounded as separate additions would, never stored.
    func leafDone(_ leaf: Int, elements: Range<Int>) {
        let additions = plan.step(forLeaf: leaf).additions
        guard let last = additions.last else { return }
        let start = elements.lowerBound
        if additions.count == 1 {
            addElementwise(pointer(last.into) + start, pointer(last.from) + start, count: elements.count)
            return
        }
        chain[0] = UnsafePointer(pointer(additions[0].from) + start)
        for index in 1..<additions.count { chain[index] = UnsafePointer(pointer(additions[index - 1].into) + start) }
        VectorPasses.addChain(pointer(last.into) + start, chain, chainLength: additions.count, count: elements.count)
    }
}

/// The slots and additions of one rank's leaves, the same every step: binary-counter order,
/// each node's right half added into its left half as soon as it is done, scratch slots reused
/// as they free up.
struct LeafPlan {
    enum Slot: Equatable {
        case block(Int)
        case scratch(Int)
    }
    struct Step {
        /// Where the leaf is written (or added, with `adding`).
        let slot: Slot
        let adding: Bool
        /// `(into, from)`: the additions the leaf's completion makes, in order.
        let additions: [(into: Slot, from: Slot)]
    }
    /// The first leaf of the rank.
    private let firstLeaf: Int
    private let steps: [Step]

    init(blocks: [Range<Int>], pairsInBackward: Bool) {
        firstLeaf = blocks.first?.lowerBound ?? 0
        let depth = blocks.map { $0.count.trailingZeroBitCount }.max() ?? 0
        var free: [Slot] = (0..<depth).map { .scratch($0) }
        // Nodes whose right sibling is not done yet (a stack: the newest on top).
        var pending: [(node: Range<Int>, slot: Slot)] = []
        var steps: [Step] = []
        for (blockIndex, block) in blocks.enumerated() {
            for leaf in block {
                var slot: Slot, adding = false
                if leaf == block.lowerBound {
                    slot = .block(blockIndex)
                } else if pairsInBackward, leaf % 2 == 1, let left = pending.last, left.node == (leaf - 1)..<leaf {
                    (slot, adding) = (left.slot, true)
                } else {
                    guard let scratchSlot = free.popLast() else { preconditionFailure("leaf \(leaf) has no slot") }
                    slot = scratchSlot
                }
                let written = slot
                var node = leaf..<(leaf + 1), additions: [(into: Slot, from: Slot)] = []
                if adding {
                    // Added into its left sibling already: the pair is done.
                    _ = pending.popLast()
                    node = (leaf - 1)..<(leaf + 1)
                }
                // A right half: its left sibling waits on top of the stack.
                while node.count < block.count, (node.lowerBound / node.count) % 2 == 1 {
                    guard let left = pending.popLast(), left.node.upperBound == node.lowerBound, left.node.count == node.count else {
                        preconditionFailure("leaf \(leaf): the tree's left half is missing")
                    }
                    additions.append((left.slot, slot))
                    free.append(slot)
                    node = left.node.lowerBound..<node.upperBound
                    slot = left.slot
                }
                if node != block { pending.append((node, slot)) }
                for (earlier, later) in zip(additions, additions.dropFirst()) {
                    precondition(later.from == earlier.into, "leaf \(leaf): its additions are not one chain")
                }
                steps.append(Step(slot: written, adding: adding, additions: additions))
            }
        }
        self.steps = steps
    }

    /// The step of global leaf `leaf` (one of the rank's).
    func step(forLeaf leaf: Int) -> Step {
        steps[leaf - firstLeaf]
    }
}
