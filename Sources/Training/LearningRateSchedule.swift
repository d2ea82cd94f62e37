#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The learning rate of every step: the base rate, scaled with the global batch
/// (`--lr-scaling linear`), reached by a linear ramp over the warmup steps (Goyal et al., 2017:
/// from η to kη over the first epochs), then constant or decayed to zero along a half cosine
/// (`--lr-decay cosine`, Loshchilov & Hutter, 2017).
public struct LearningRateSchedule: Sendable, Equatable {
    public let baseRate: Double
    /// k: the factor the base rate grows to.
    public let factor: Double
    /// Steps of the ramp from `baseRate` to `factor × baseRate`.
    public let warmupSteps: Int
    public let decay: LearningRateDecay
    /// All steps of the run (the cosine reaches zero there).
    public let totalSteps: Int

    public init(baseRate: Double, factor: Double, warmupSteps: Int, decay: LearningRateDecay = .none,
                totalSteps: Int = 0) {
        self.baseRate = baseRate
        self.factor = factor
        self.warmupSteps = warmupSteps
        self.decay = decay
        self.totalSteps = totalSteps
    }

    /// The schedule of `configuration` for a global batch of `globalBatch` examples with
    /// `stepsPerEpoch` steps an epoch.
    public init(_ configuration: TrainingConfiguration, globalBatch: Int, stepsPerEpoch: Int) {
        let factor = configuration.optimization.learningRateFactor(globalBatch: globalBatch)
        let warmupEpochs = configuration.optimization.effectiveWarmupEpochs(factor: factor)
        self.init(
            baseRate: configuration.optimization.learningRate, factor: factor,
            warmupSteps: Int((warmupEpochs * Double(stepsPerEpoch)).rounded()),
            decay: configuration.optimization.learningRateDecay,
            totalSteps: configuration.optimization.epochs * stepsPerEpoch)
    }

    /// The highest rate of the run (after warm-up, before decay).
    public var peakRate: Double { baseRate * factor }

    /// The rate of step `step` (0-based, counted over all epochs).
    ///
    /// Warm-up ramps up only: from the base rate to a larger peak (k > 1). A smaller peak
    /// (k < 1, a global batch below the reference) holds from the first step, since starting
    /// at the larger base rate is what warm-up exists to avoid.
    public func rate(atStep step: Int) -> Double {
        let peak = peakRate
        if step < warmupSteps, factor > 1 {
            let progress = Double(step) / Double(warmupSteps)
            return baseRate * (1 + (factor - 1) * progress)
        }
        switch decay {
        case .none:
            return peak
        case .cosine:
            let span = max(totalSteps - warmupSteps, 1)
            let progress = min(Double(step - warmupSteps) / Double(span), 1)
            return peak * 0.5 * (1 + cos(Double.pi * progress))
        }
    }
}
