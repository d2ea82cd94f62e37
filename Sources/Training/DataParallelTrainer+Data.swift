import MNISTData

extension DataParallelTrainer {
    /// What one rank trains and evaluates on.
    struct RankData {
        let plan: ShardPlan
        /// This rank's shard of the training set.
        let shard: LabeledImages
        /// This rank's part of the test set (all of it on rank 0 in rank0 mode, a slice in
        /// sharded mode, nil for the other ranks in rank0 mode).
        let test: LabeledImages?
        let testCount: Int
    }

    /// Checks the headers, plans the shards and reads this rank's examples (only those).
    func loadData() throws -> RankData {
        let config = configuration
        let ranks = communicator.size, rank = communicator.rank
        let batchSize = try config.perRankBatch(ranks: ranks)
        let train = try MNISTSource(directory: config.data.dataDirectory, split: .train)
        try checkInputSize(train.pixelsPerImage, path: train.imagesPath)
        let trainCount = min(config.data.trainLimit ?? train.count, train.count)
        let plan = try ShardPlan(exampleCount: trainCount, batchSize: batchSize, rankCount: ranks)

        let testSource = try MNISTSource(directory: config.data.dataDirectory, split: .test)
        try checkInputSize(testSource.pixelsPerImage, path: testSource.imagesPath)
        let testCount = min(config.data.testLimit ?? testSource.count, testSource.count)
        let testRange: Range<Int>?
        switch config.reporting.evaluation {
        case .rank0: testRange = rank == 0 ? 0..<testCount : nil
        case .sharded: testRange = (rank * testCount / ranks)..<((rank + 1) * testCount / ranks)
        }
        let test = try testRange.flatMap { $0.isEmpty ? nil : try testSource.load(range: $0) }
        // Deterministic mode draws one order over the whole set for every rank, so every rank
        // reads all of it (47 MB of bytes for MNIST); otherwise only its shard.
        let shard = try train.load(range: config.optimization.microBatching != nil ? 0..<trainCount : plan.shard(rank: rank))
        return RankData(plan: plan, shard: shard, test: test, testCount: testCount)
    }

    private func checkInputSize(_ pixels: Int, path: String) throws {
        guard pixels == DataParallelTrainer.inputSize else {
            throw TrainingError.inputSizeMismatch(
                path: path, pixels: pixels, inputLayer: DataParallelTrainer.inputSize)
        }
    }
}
