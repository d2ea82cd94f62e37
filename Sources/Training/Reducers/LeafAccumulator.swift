import NeuralNet

/// Sums one rank's micro-batches by `MicroBatchTree` as they are produced (binary-counter
/// order), in place: each micro-batch writes its values straight into a slot, and as soon as a
/// node's right half is done it is added into its left half while it is still in cache. Each
/// of the rank's blocks ends in the block's own row (where its first leaf was written), so no
/// value is copied; at most log2(block size) scratch slots are live at once.
///
/// Every addition is one of the tree's (a node's left half plus its right half), so the block
/// sums have the bits `MicroBatchTree.combine` gives.
final class LeafAccumulator {
    /// The rank's blocks (global leaf ranges), in order.
    let blocks: [Range<Int>]
    private let count: Int
    /// Where each block's sum ends (its first leaf is written there).
    private var blockRows: [UnsafeMutablePointer<Float>]
    /// `[slots × stride]` the other leaves' and the pending nodes' values.
    private let scratch: FloatBuffer
    private var free: [UnsafeMutablePointer<Float>]
    /// Nodes whose right sibling is not done yet (a stack: the newest on top).
    private var pending: [(node: Range<Int>, slot: UnsafeMutablePointer<Float>)]
    /// The leaf being computed: its slot and block, and whether it is added into its left
    /// sibling's slot.
    private var current: (slot: UnsafeMutablePointer<Float>, block: Int, adding: Bool)?
    /// Whether a right leaf is added into its left sibling by the backward pass itself
    /// (`MLP.backwardAddsExactly` held): one addition a pair of leaves fewer, and the right
    /// leaf never stored on its own.
    var addsLeafPairsInBackward = false

    /// - Parameters:
    ///   - blocks: the rank's blocks, `MicroBatchTree.blocks(covering:)` of its leaves.
    ///   - count: floats per value.
    ///   - blockRows: where each block's sum is to end, `[count]` each.
    init(blocks: [Range<Int>], count: Int, blockRows: [UnsafeMutablePointer<Float>]) {
        precondition(blocks.count == blockRows.count, "a row per block")
        self.blocks = blocks
        self.count = count
        self.blockRows = blockRows
        let depth = blocks.map { $0.count.trailingZeroBitCount }.max() ?? 0
        let stride = (count + 15) / 16 * 16
        let scratch = FloatBuffer(count: max(depth, 1) * stride)
        self.scratch = scratch
        free = (0..<depth).map { scratch.pointer + $0 * stride }
        pending = []
        pending.reserveCapacity(depth + 1)
    }

    /// Points the blocks' sums at other rows (e.g. the other of two alternating windows).
    func setBlockRows(_ rows: [UnsafeMutablePointer<Float>]) {
        precondition(rows.count == blocks.count, "a row per block")
        for index in rows.indices { blockRows[index] = rows[index] }
    }

    /// The block holding global leaf `leaf`.
    private func blockIndex(_ leaf: Int) -> Int {
        var index = 0
        while !blocks[index].contains(leaf) { index += 1 }
        return index
    }

    /// Where global leaf `leaf` (the next of the rank's, in order) goes: its block's row (a
    /// block's first leaf), a scratch slot, or, for a right leaf with `addsLeafPairsInBackward`,
    /// its left sibling's slot to add to.
    func slot(forLeaf leaf: Int) -> MicroBatchSlot {
        if let current { return MicroBatchSlot(values: current.slot, adding: current.adding) }
        let blockIndex = blockIndex(leaf)
        let block = blocks[blockIndex]
        let slot: UnsafeMutablePointer<Float>
        var adding = false
        if leaf == block.lowerBound {
            slot = blockRows[blockIndex]
        } else if addsLeafPairsInBackward, leaf % 2 == 1, let left = pending.last, left.node == (leaf - 1)..<leaf {
            (slot, adding) = (left.slot, true)
        } else {
            guard let scratchSlot = free.popLast() else { preconditionFailure("leaf \(leaf) has no slot") }
            slot = scratchSlot
        }
        current = (slot, blockIndex, adding)
        return MicroBatchSlot(values: slot, adding: adding)
    }

    /// Global leaf `leaf` is in its slot: adds every node it completes into its left half.
    func leafDone(_ leaf: Int) {
        guard let written = current else { preconditionFailure("leaf \(leaf) was not written") }
        current = nil
        let block = blocks[written.block]
        var node = leaf..<(leaf + 1), slot = written.slot
        if written.adding {
            // Added into its left sibling already: the pair is done.
            _ = pending.popLast()
            node = (leaf - 1)..<(leaf + 1)
        }
        // A right half: its left sibling waits on top of the stack.
        while node.count < block.count, (node.lowerBound / node.count) % 2 == 1 {
            guard let left = pending.popLast(), left.node.upperBound == node.lowerBound, left.node.count == node.count else {
                preconditionFailure("leaf \(leaf): the tree's left half is missing")
            }
            addElementwise(left.slot, slot, count: count)
            free.append(slot)
            node = left.node.lowerBound..<node.upperBound
            slot = left.slot
        }
        if node != block { pending.append((node, slot)) }
    }
}
