/// One `--metrics` JSON line: an epoch's cost, timing breakdown and (when evaluated) accuracy.
public struct EpochMetrics: Codable, Sendable {
    public var epoch: Int
    public var cost: Double
    public var testAccuracy: Double?
    public var seconds: Double
    public var computeSeconds: Double
    public var allreduceSeconds: Double
    /// Of `computeSeconds`, the matrix products' share (mean over ranks; nil in files written
    /// before it was measured).
    public var productSeconds: Double?
    public var samplesPerSecond: Double
    /// The learning rate at the epoch's last step.
    public var learningRate: Double
    /// With more than one rank, by rank: the seconds of work between sums (from the end of one
    /// step's sum to the start of the next) and of waiting in the sums (nil on one rank).
    public var workSecondsPerRank: [Double]? = nil
    public var waitSecondsPerRank: [Double]? = nil

    public init(
        epoch: Int, cost: Double, testAccuracy: Double?, seconds: Double, computeSeconds: Double,
        allreduceSeconds: Double, samplesPerSecond: Double, learningRate: Double, productSeconds: Double? = nil
    ) {
        self.productSeconds = productSeconds
        self.epoch = epoch
        self.cost = cost
        self.testAccuracy = testAccuracy
        self.seconds = seconds
        self.computeSeconds = computeSeconds
        self.allreduceSeconds = allreduceSeconds
        self.samplesPerSecond = samplesPerSecond
        self.learningRate = learningRate
    }
}
