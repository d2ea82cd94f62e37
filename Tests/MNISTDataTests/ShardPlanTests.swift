import Testing
@testable import MNISTData

@Suite struct ShardPlanTests {
    @Test(arguments: [60_000, 10_000, 1_001, 997, 100])
    func everyExampleOwnedOnceAndEqualSteps(exampleCount: Int) throws {
        for ranks in 1...7 {
            for batchSize in [1, 7, 32, 100] where batchSize * ranks <= exampleCount {
                let plan = try ShardPlan(exampleCount: exampleCount, batchSize: batchSize, rankCount: ranks)
                var owner = [Int](repeating: -1, count: exampleCount)
                for rank in 0..<ranks {
                    let shard = plan.shard(rank: rank)
                    // Each rank's shard holds at least the batches it takes every epoch.
                    #expect(shard.count >= plan.stepsPerEpoch * batchSize)
                    for example in shard {
                        #expect(owner[example] == -1, "example \(example) owned twice")
                        owner[example] = rank
                    }
                }
                #expect(!owner.contains(-1), "an example is owned by no rank")
                // Steps are what the smallest shard allows, identical for all ranks.
                #expect(plan.stepsPerEpoch == (exampleCount / ranks) / batchSize)
                #expect(plan.stepsPerEpoch >= 1)
                // At most batchSize - 1 examples of any shard sit out an epoch.
                for rank in 0..<ranks {
                    #expect(plan.shard(rank: rank).count - plan.examplesPerRankPerEpoch < batchSize + 1)
                }
            }
        }
    }

    @Test func moreRanksThanBatchesIsRefused() {
        #expect(throws: MNISTDataError.shardTooSmall(examples: 600, ranks: 7, batchSize: 100)) {
            try ShardPlan(exampleCount: 600, batchSize: 100, rankCount: 7)
        }
    }

    @Test func batchLargerThanShardIsRefused() {
        #expect(throws: MNISTDataError.shardTooSmall(examples: 1000, ranks: 2, batchSize: 501)) {
            try ShardPlan(exampleCount: 1000, batchSize: 501, rankCount: 2)
        }
    }

    @Test func batchSizeZeroIsRefused() {
        #expect(throws: MNISTDataError.invalidBatchSize(0)) {
            try ShardPlan(exampleCount: 1000, batchSize: 0, rankCount: 1)
        }
    }
}
