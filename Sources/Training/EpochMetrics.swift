/// One `--metrics` JSON line: an epoch's cost, timing breakdown and (when evaluated) accuracy.
public struct EpochMetrics: Codable, Sendable {
    public var epoch: Int
    public var cost: Double
    public var testAccuracy: Double?
    public var seconds: Double
    public var computeSeconds: Double
    public var allreduceSeconds: Double
    public var samplesPerSecond: Double
    /// The learning rate at the epoch's last step.
    public var learningRate: Double
}
