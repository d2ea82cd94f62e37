/// The `--summary` JSON object (written by rank 0; keys in snake_case, see DESIGN.md).
public struct RunSummary: Codable, Sendable {
    public var ranks: Int
    public var epochs: Int
    public var batchSize: Int
    public var globalBatch: Int
    /// "weak": the per-rank batch is fixed, the global batch grows with ranks.
    public var scalingMode: String
    public var stepsPerEpoch: Int
    /// Optimizer steps taken in all.
    public var steps: Int
    public var parameterCount: Int
    /// Test accuracy on the (whole, unless limited) test set, 0...1.
    public var testAccuracy: Double
    /// Mean training cost of the last epoch over all ranks.
    public var finalCost: Double
    /// Wall time of the training epochs, without start-up, data loading and evaluation.
    public var trainSeconds: Double
    public var secondsPerEpoch: Double
    /// Training samples of all ranks per second of `trainSeconds`.
    public var samplesPerSecond: Double
    /// Mean over ranks of the time spent computing (batch assembly, forward, backward, update).
    public var computeSeconds: Double
    /// Mean over ranks of the time spent in the gradient allreduce (including waiting).
    public var allreduceSeconds: Double
    /// The largest rank's peak resident set size.
    public var peakRssBytes: Int
    public var configuration: TrainingConfiguration
}

/// One `--metrics` JSON line: an epoch's cost, timing breakdown and (at log points) accuracy.
public struct EpochMetrics: Codable, Sendable {
    public var epoch: Int
    public var cost: Double
    public var testAccuracy: Double?
    public var seconds: Double
    public var computeSeconds: Double
    public var allreduceSeconds: Double
    public var samplesPerSecond: Double
}
