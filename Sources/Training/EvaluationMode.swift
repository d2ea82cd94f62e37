/// Who computes the test accuracy.
public enum EvaluationMode: String, Codable, Sendable, CaseIterable {
    /// Rank 0 alone on the whole test set (as the original program).
    case rank0
    /// Every rank a contiguous slice; the counts are summed over ranks.
    case sharded
}
