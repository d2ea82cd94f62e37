/// How the learning rate follows the global batch G against the batch the rate was set for, B
/// (`--lr-reference-batch`, by default `--batch-size`): k = G / B (linear, Goyal et al. 2017) or
/// √(G / B) (square root, Krizhevsky 2014; the rule the LAMB paper uses). In weak scaling
/// G = ranks × batch, so k is the rank count under the linear rule; `--global-batch` sets G
/// directly, so a study of large batches runs on the ranks at hand.
public enum LearningRateScaling: String, Codable, Sendable, CaseIterable {
    /// The learning rate as given, whatever the global batch.
    case none
    /// k = G / B.
    case linear
    /// k = √(G / B).
    case sqrt
    /// The rule that fits the optimizer: linear for SGD, momentum and LARS; square root for
    /// Adam and LAMB (adaptive steps grow less with the batch). The default: a single rank at
    /// the reference batch gets k = 1, so the seed preset stays the original program.
    case auto
}

extension OptimizationSettings {
    /// The rule that runs: `learningRateScaling`, with `auto` resolved by the optimizer.
    public var effectiveLearningRateScaling: LearningRateScaling {
        guard learningRateScaling == .auto else { return learningRateScaling }
        switch optimizer.kind {
        case .sgd, .momentum, .lars: return .linear
        case .adam, .lamb: return .sqrt
        }
    }

    /// B: the batch `learningRate` was set for.
    public var learningRateReferenceBatch: Int { lrReferenceBatch ?? batchSize }

    /// k: the factor the learning rate grows to for a global batch of `globalBatch` examples.
    public func learningRateFactor(globalBatch: Int) -> Double {
        let ratio = Double(globalBatch) / Double(learningRateReferenceBatch)
        switch effectiveLearningRateScaling {
        case .none, .auto: return 1
        case .linear: return ratio
        case .sqrt: return ratio.squareRoot()
        }
    }

    /// Warm-up epochs: as given, else 2 when the rate is scaled up (k > 1), else none.
    public func effectiveWarmupEpochs(factor: Double) -> Double {
        warmupEpochs ?? (factor > 1 ? 2 : 0)
    }
}
