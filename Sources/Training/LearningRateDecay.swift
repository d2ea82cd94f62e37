/// How the learning rate falls after warmup.
public enum LearningRateDecay: String, Codable, Sendable, CaseIterable {
    /// Constant.
    case none
    /// A half cosine from the peak rate to zero at the last step.
    case cosine
}
