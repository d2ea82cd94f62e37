import RunOutput

/// `--target-accuracy`: when to evaluate on the way, and when and how fast the target was met.
///
/// Evaluation is counted in the time to the target (as MLPerf counts it), so it should be
/// frequent enough to notice the target soon after it is met, and rare enough not to slow the
/// run. The first evaluation is at the end of epoch 0 (no model reaches a useful target
/// sooner); from then on every `interval` steps after the previous one, epoch ends included
/// only when due, with `interval` the fewest steps that keep evaluation within a tenth of the
/// wall time: interval × step seconds ≥ 9 × evaluation seconds, both measured in the run (the
/// larger of all ranks, so that every rank computes the same value). `--target-eval-steps N`
/// fixes it instead (evaluations at N, 2N, ... from the start).
final class TargetTracker {
    /// What the summary reports when the target was met.
    struct Reached {
        /// The evaluation that met the target (the run's final result: the model stops there).
        let test: TestResult
        var accuracy: Double { test.accuracy }
        /// Optimizer steps taken (over the whole run) when it was met.
        let step: Int
        let epochs: Double
        /// From the launch of rank 0's process (start-up, data loading, training, evaluations).
        let secondsFromLaunch: Double?
        /// From the first step of training.
        let secondsFromFirstStep: Double
    }

    let target: Double
    let stepsPerEpoch: Int
    /// Steps between evaluations inside an epoch (nil until measured or set).
    private(set) var interval: Int?
    private let fixedInterval: Bool
    private(set) var evaluations = 0
    private(set) var evaluationSeconds = 0.0
    private(set) var reached: Reached? = nil
    private(set) var best = 0.0
    /// The accuracy of the latest evaluation.
    private(set) var lastAccuracy: Double? = nil
    /// When the first step of this process began.
    var firstStepTime: Double? = nil
    /// Steps of the run taken at the last evaluation.
    private var lastEvaluatedStep = 0

    init(target: Double, evalSteps: Int?, stepsPerEpoch: Int) {
        self.target = target
        self.stepsPerEpoch = stepsPerEpoch
        interval = evalSteps
        fixedInterval = evalSteps != nil
    }

    /// Whether to evaluate after `runStep` (0-based over the run) finished. Before the first
    /// measurement (no interval yet) only an epoch's end is due.
    func isDue(afterStep runStep: Int) -> Bool {
        guard reached == nil else { return false }
        let stepsDone = runStep + 1
        guard let interval else { return stepsDone % stepsPerEpoch == 0 }
        return stepsDone - lastEvaluatedStep >= interval
    }

    /// Records one evaluation.
    ///
    /// - Parameters:
    ///   - test: what it gave (the same on every rank).
    ///   - seconds: how long it took, and `stepSeconds` a step's mean time: the largest of all
    ///     ranks (the caller reduces them), so every rank sets the same interval.
    ///   - runStep: the step after which it ran (0-based over the run).
    ///   - now: the wall time when it finished.
    /// - Returns: whether the target is met now (for the first time).
    func evaluated(_ test: TestResult, seconds: Double, stepSeconds: Double, afterStep runStep: Int, now: Double) -> Bool {
        let accuracy = test.accuracy
        evaluations += 1
        evaluationSeconds += seconds
        lastEvaluatedStep = runStep + 1
        best = max(best, accuracy)
        lastAccuracy = accuracy
        if !fixedInterval, stepSeconds > 0 {
            interval = min(stepsPerEpoch, max(1, Int((9 * seconds / stepSeconds).rounded(.up))))
        }
        guard reached == nil, accuracy >= target else { return false }
        let steps = runStep + 1
        reached = Reached(
            test: test, step: steps, epochs: Double(steps) / Double(stepsPerEpoch),
            secondsFromLaunch: processAgeSeconds(),
            secondsFromFirstStep: firstStepTime.map { now - $0 } ?? 0)
        return true
    }
}
