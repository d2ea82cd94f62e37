/// How the training examples are split over ranks so that every rank takes the same number of
/// steps per epoch.
///
/// The examples are cut into `rankCount` contiguous shards that differ in size by at most one;
/// a rank reads only its shard. Every epoch each rank shuffles its shard and takes
/// `stepsPerEpoch` batches of `batchSize`, where `stepsPerEpoch` is what the *smallest* shard
/// allows: equal step counts are what keep the ranks' collectives matched (no hang at the last
/// step). At most `batchSize` - 1 examples of a shard sit out each epoch, a different few
/// each time.
public struct ShardPlan: Equatable, Sendable {
    public let exampleCount: Int
    public let batchSize: Int
    public let rankCount: Int
    /// Optimizer steps per epoch, the same on every rank.
    public let stepsPerEpoch: Int

    /// Plans the split of `exampleCount` examples into batches of `batchSize` over `rankCount`
    /// ranks.
    ///
    /// - Throws: `MNISTDataError.invalidBatchSize` for a batch size below 1,
    ///   `.shardTooSmall` when a rank's shard holds less than one batch (more ranks than
    ///   batches, or a batch larger than a shard).
    public init(exampleCount: Int, batchSize: Int, rankCount: Int) throws {
        precondition(rankCount >= 1, "rank count must be at least 1")
        guard batchSize >= 1 else { throw MNISTDataError.invalidBatchSize(batchSize) }
        let smallestShard = exampleCount / rankCount
        guard batchSize <= smallestShard else {
            throw MNISTDataError.shardTooSmall(
                examples: exampleCount, ranks: rankCount, batchSize: batchSize)
        }
        self.exampleCount = exampleCount
        self.batchSize = batchSize
        self.rankCount = rankCount
        stepsPerEpoch = smallestShard / batchSize
    }

    /// The examples `rank` owns (and reads from disk).
    public func shard(rank: Int) -> Range<Int> {
        precondition((0..<rankCount).contains(rank), "rank \(rank) outside 0..<\(rankCount)")
        let lower = rank * exampleCount / rankCount
        let upper = (rank + 1) * exampleCount / rankCount
        return lower..<upper
    }

    /// Examples every rank trains on per epoch: `stepsPerEpoch × batchSize`.
    public var examplesPerRankPerEpoch: Int { stepsPerEpoch * batchSize }
}
