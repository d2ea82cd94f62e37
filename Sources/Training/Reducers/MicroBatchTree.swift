/// The one fixed summation tree over micro-batch indices `0..<leafCount`, whatever the rank
/// count: a binary tree over aligned power-of-two blocks (node `[start, start + size)` with
/// `start` a multiple of `size`) of the next power of two at or above `leafCount`; a node's
/// sum is its left half's plus its right half's, a half past the last leaf is absent.
///
/// Any contiguous range of leaves (a rank's share) splits into such nodes (`blocks`); a rank
/// sums each of its blocks by the tree, and every rank completes the tree from all ranks'
/// block sums (`combine`). Every floating-point addition then happens in the same place of the
/// same tree for 1, 2, 3, 4, 6, ... ranks, so the sum is bit-identical for all of them
/// (PITFALLS 18: summation order, not precision, decides the bits).
struct MicroBatchTree: Equatable {
    let leafCount: Int
    /// The root's size: the next power of two at or above `leafCount`.
    let span: Int

    init(leafCount: Int) {
        precondition(leafCount >= 1, "a tree needs a leaf")
        self.leafCount = leafCount
        var span = 1
        while span < leafCount { span *= 2 }
        self.span = span
    }

    /// The tree's nodes that exactly cover `range` (inside `0..<leafCount`), in order.
    func blocks(covering range: Range<Int>) -> [Range<Int>] {
        var blocks: [Range<Int>] = []
        var start = range.lowerBound
        while start < range.upperBound {
            var size = span
            while size > 1 && (start % size != 0 || start + size > range.upperBound) { size /= 2 }
            blocks.append(start..<(start + size))
            start += size
        }
        return blocks
    }

    /// The sum of node `node` by the tree, from the sums of the nodes `slot` knows.
    ///
    /// - Parameters:
    ///   - node: a node of the tree (the root: `0..<span`).
    ///   - slot: where a node's sum already is (nil: not known, descend into its halves).
    ///   - add: `add(a, b)` replaces the value in slot `a` by itself plus the value in slot `b`.
    /// - Returns: the slot holding the node's sum (the slot of its leftmost known part), or nil
    ///   for a node past the last leaf.
    func combine(_ node: Range<Int>, slot: (Range<Int>) -> Int?, add: (Int, Int) -> Void) -> Int? {
        guard node.lowerBound < leafCount else { return nil }
        if let known = slot(node) { return known }
        precondition(node.count > 1, "leaf \(node.lowerBound) has no value")
        let middle = node.lowerBound + node.count / 2
        let left = combine(node.lowerBound..<middle, slot: slot, add: add)
        let right = combine(middle..<node.upperBound, slot: slot, add: add)
        guard let left else { return right }
        if let right { add(left, right) }
        return left
    }
}
