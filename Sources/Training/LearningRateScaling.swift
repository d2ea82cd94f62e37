/// How the learning rate follows the global batch (Goyal et al., 2017).
public enum LearningRateScaling: String, Codable, Sendable, CaseIterable {
    /// The learning rate as given, whatever the rank count.
    case none
    /// Weak scaling: the learning rate times the rank count (the global batch grew that much),
    /// reached gradually over `--warmup-epochs`. Strong scaling keeps the global batch, so the
    /// factor is 1 there.
    case linear
}
