import Testing
@testable import Training

/// The fixed summation tree: every rank count that divides the micro-batch count performs the
/// very same additions in the very same places.
@Suite struct MicroBatchTreeTests {
    /// The sum as an expression of leaf names, built the way the reducer builds it: each rank
    /// sums its blocks, then the tree is completed from all blocks.
    private func expression(leaves: Int, ranks: Int) -> String {
        let tree = MicroBatchTree(leafCount: leaves)
        let share = leaves / ranks
        var blockValues: [String] = []
        var allBlocks: [Range<Int>] = []
        for rank in 0..<ranks {
            let own = (rank * share)..<((rank + 1) * share)
            var local = own.map { "x\($0)" }
            for block in tree.blocks(covering: own) {
                let top = tree.combine(
                    block, slot: { $0.count == 1 ? $0.lowerBound - own.lowerBound : nil },
                    add: { local[$0] = "(\(local[$0])+\(local[$1]))" })
                blockValues.append(local[top ?? -1])
                allBlocks.append(block)
            }
        }
        let root = tree.combine(
            0..<tree.span, slot: { allBlocks.firstIndex(of: $0) },
            add: { blockValues[$0] = "(\(blockValues[$0])+\(blockValues[$1]))" })
        return blockValues[root ?? -1]
    }

    @Test(arguments: [1, 2, 5, 7, 8, 12, 24, 30])
    func everyDividingRankCountAddsInTheSameOrder(leaves: Int) {
        let reference = expression(leaves: leaves, ranks: 1)
        for ranks in stride(from: 2, through: leaves, by: 1) where leaves % ranks == 0 {
            #expect(expression(leaves: leaves, ranks: ranks) == reference, "\(leaves) leaves on \(ranks) ranks")
        }
        // Every leaf appears exactly once, and nothing else does.
        let tokens = reference.split { "()+".contains($0) }.map(String.init)
        #expect(tokens.sorted() == (0..<leaves).map { "x\($0)" }.sorted(), "\(reference)")
    }

    @Test func blocksAreAlignedAndCoverTheRange() {
        let tree = MicroBatchTree(leafCount: 24)
        #expect(tree.span == 32)
        #expect(tree.blocks(covering: 0..<24) == [0..<16, 16..<24])
        #expect(tree.blocks(covering: 6..<12) == [6..<8, 8..<12])
        #expect(tree.blocks(covering: 3..<6) == [3..<4, 4..<6])
    }

    @Test func sameBitsOnTakesTheLargestMicroBatchThatSplitsOverEachCount() {
        #expect(OptimizationSettings.microBatch(globalBatch: 200, sameBitsOn: [1, 2]) == 100)
        #expect(OptimizationSettings.microBatch(globalBatch: 200, sameBitsOn: [4, 2]) == 50)
        #expect(OptimizationSettings.microBatch(globalBatch: 600, sameBitsOn: [1, 2, 3, 4, 6, 8]) == 25)
        #expect(OptimizationSettings.microBatch(globalBatch: 600, sameBitsOn: [3, 2]) == 100)
        #expect(OptimizationSettings.microBatch(globalBatch: 200, sameBitsOn: [3]) == nil)
        #expect(OptimizationSettings.microBatch(globalBatch: 12, sameBitsOn: [8, 12]) == nil)
    }

    @Test func theDefaultMicroBatchHasAtLeast25Rows() {
        #expect(OptimizationSettings.defaultMicroBatch(globalBatch: 600) == 25)
        #expect(OptimizationSettings.defaultMicroBatch(globalBatch: 200) == 25)
        #expect(OptimizationSettings.defaultMicroBatch(globalBatch: 210) == 30)
        #expect(OptimizationSettings.defaultMicroBatch(globalBatch: 12) == 12)
        #expect(OptimizationSettings.defaultMicroBatch(globalBatch: 97) == 97)
    }
}
