/// How the gradients travel between ranks.
public enum GradientCompression: String, Codable, Sendable, CaseIterable {
    /// float32, exact sums.
    case none
    /// bfloat16 (half the bytes; summed in float32 and rounded).
    case bf16
    /// Rank-r PowerSGD with error feedback on the weight matrices (see `PowerSGDCompressor`):
    /// about 35x fewer bytes for the seed model at rank 4.
    case powerSGD = "powersgd"
    /// Chosen at start-up: `none` on one node; across nodes the fastest of the three as timed on
    /// the job's own links (see `CompressionChoice`).
    case auto
}
