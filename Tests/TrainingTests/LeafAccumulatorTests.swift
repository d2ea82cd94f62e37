import Foundation
import Testing
import NeuralNet
@testable import Training

/// Summing leaves as they are produced (binary-counter order, in place) gives the very bits of
/// the tree summed after all leaves are in: every addition is the same node's halves.
@Suite struct LeafAccumulatorTests {
    /// `count` floats of very different magnitudes, so that another order of addition changes bits.
    private func leafValues(_ leaf: Int, count: Int) -> [Float] {
        var random = RandomSource(seed: 7, stream: UInt64(leaf))
        return (0..<count).map { _ in Float(random.nextNormal(standardDeviation: 1)) * Float(1 << (leaf % 9)) }
    }

    /// Each of the rank's block sums by `MicroBatchTree.combine`, from a copy of every leaf.
    private func treeSums(_ tree: MicroBatchTree, own: Range<Int>, count: Int) -> [[Float]] {
        var values = own.map { leafValues($0, count: count) }
        return tree.blocks(covering: own).map { block in
            let top = tree.combine(
                block, slot: { $0.count == 1 ? $0.lowerBound - own.lowerBound : nil },
                add: { left, right in for i in 0..<count { values[left][i] += values[right][i] } })
            return values[top ?? -1]
        }
    }

    /// Each layout with leaves written and, as backward does where its products add exactly,
    /// right leaves added into their left siblings' slots.
    static let layouts: [(Int, Range<Int>)] = [(24, 0..<24), (24, 6..<12), (24, 3..<6), (24, 12..<24), (8, 0..<8), (30, 10..<15), (7, 0..<7)]

    /// Every leaf's first part, then every leaf's second (as leaf passes produce a layer at a
    /// time) ends with the bits of whole leaves one after another.
    @Test(arguments: layouts.flatMap { [($0.0, $0.1, false), ($0.0, $0.1, true)] })
    func partByPartEqualsLeafByLeaf(leaves: Int, own: Range<Int>, pairsInBackward: Bool) {
        let tree = MicroBatchTree(leafCount: leaves), count = 37
        let blocks = tree.blocks(covering: own)
        var results: [[UInt32]] = []
        for parts in [[0..<count], [20..<count, 0..<20]] {
            let rows = FloatBuffer(count: blocks.count * count)
            let accumulator = LeafAccumulator(
                blocks: blocks, count: count, blockRows: blocks.indices.map { rows.pointer + $0 * count })
            accumulator.addsLeafPairsInBackward = pairsInBackward
            for part in parts {
                for leaf in own {
                    let slot = accumulator.slot(forLeaf: leaf), values = leafValues(leaf, count: count)
                    for i in part { slot.values[i] = slot.adding ? slot.values[i] + values[i] : values[i] }
                    accumulator.leafDone(leaf, elements: part)
                }
            }
            results.append((0..<rows.count).map { rows[$0].bitPattern })
        }
        #expect(results[0] == results[1], "leaves \(own) of \(leaves)")
        #expect(results[0] == treeSums(tree, own: own, count: count).flatMap { $0.map(\.bitPattern) })
    }

    @Test(arguments: layouts.flatMap { [($0.0, $0.1, false), ($0.0, $0.1, true)] })
    func sumsAsProducedEqualTheTreeBitForBit(leaves: Int, own: Range<Int>, pairsInBackward: Bool) {
        let tree = MicroBatchTree(leafCount: leaves), count = 37
        let blocks = tree.blocks(covering: own)
        let rows = FloatBuffer(count: blocks.count * count)
        let accumulator = LeafAccumulator(
            blocks: blocks, count: count, blockRows: blocks.indices.map { rows.pointer + $0 * count })
        accumulator.addsLeafPairsInBackward = pairsInBackward
        var added = 0
        for leaf in own {
            let slot = accumulator.slot(forLeaf: leaf)
            for (i, value) in leafValues(leaf, count: count).enumerated() {
                slot.values[i] = slot.adding ? slot.values[i] + value : value
            }
            added += slot.adding ? 1 : 0
            accumulator.leafDone(leaf)
        }
        // Every right leaf whose left sibling is the rank's is added by "backward" when asked.
        let pairs = own.filter { leaf in leaf % 2 == 1 && blocks.contains { $0.contains(leaf) && $0.count > 1 } }
        #expect(added == (pairsInBackward ? pairs.count : 0), "leaves added into their siblings")
        let expected = treeSums(tree, own: own, count: count)
        for (index, sum) in expected.enumerated() {
            let got = (0..<count).map { rows[index * count + $0].bitPattern }
            #expect(got == sum.map(\.bitPattern), "block \(blocks[index]) of leaves \(own)")
        }
        // And another order does give other bits here (the check can fail).
        let sequential = own.map { leafValues($0, count: count) }.reduce([Float](repeating: 0, count: count)) { zip($0, $1).map(+) }
        if blocks.count == 1, own.count > 2 {
            #expect(sequential.map(\.bitPattern) != expected[0].map(\.bitPattern), "the values do not tell orders apart")
        }
    }
}
