/// The stall watchdog's limit when `--stall-timeout` is not given: generous until the loop's
/// step time is known, then a multiple of it with a floor, so a hung rank ends a job of
/// millisecond steps in half a minute instead of five.
public enum StallTimeoutRule {
    /// The limit until `timedSteps` steps are timed (the first steps compile kernels and fault
    /// pages in).
    public static let initialSeconds = 60.0
    /// The limit is never below this (an evaluation or a checkpoint between steps, a noisy
    /// machine's pauses).
    public static let floorSeconds = 30.0
    /// The limit is this many times the median step.
    public static let stepMultiple = 100.0
    /// Steps skipped before timing (warm-up), and steps timed.
    public static let skippedSteps = 5
    public static let timedSteps = 20

    /// The limit for a median step of `stepSeconds`.
    public static func seconds(forStep stepSeconds: Double) -> Double {
        max(floorSeconds, (stepMultiple * stepSeconds).rounded(.up))
    }

    /// What `--help` and the banner say of it.
    public static var description: String {
        "auto: \(Int(stepMultiple))x the median of steps \(skippedSteps + 1)-\(skippedSteps + timedSteps), at least \(Int(floorSeconds)) s (\(Int(initialSeconds)) s until then)"
    }
}
