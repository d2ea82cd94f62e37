/// One rank's time in an epoch, step by step: computing, in the sums, and its work between
/// sums (its compute and whatever else delays its next sum).
struct EpochClock {
    /// The epoch's start (wall clock, seconds).
    let start: Double
    /// The rank's product seconds when the epoch started (the products' clock runs on).
    let productSecondsAtStart: Double
    private(set) var computeSeconds = 0.0
    private(set) var allreduceSeconds = 0.0
    private(set) var workSeconds = 0.0
    /// When the last sum ended (the epoch's start before the first).
    private var lastSumEnd: Double

    init(start: Double, productSeconds: Double) {
        self.start = start
        productSecondsAtStart = productSeconds
        lastSumEnd = start
    }

    /// Adds one step's times: compute before and after its sum, the sum, the work since the last sum.
    mutating func add(_ step: StepReport) {
        computeSeconds += (step.reduceStart - step.computeStart) + (step.end - step.reduceEnd)
        allreduceSeconds += step.reduceEnd - step.reduceStart
        workSeconds += step.reduceStart - lastSumEnd
        lastSumEnd = step.reduceEnd
    }
}
