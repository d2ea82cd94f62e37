/// Checkpoints and the stall watchdog.
public struct ReliabilitySettings: Codable, Sendable, Equatable {
    /// Rank 0 writes checkpoints here (atomically).
    public var checkpointPath: String? = nil
    /// Write a checkpoint every K epochs (and after the last).
    public var checkpointEvery: Int = 1
    /// Continue from the checkpoint at `checkpointPath`.
    public var resume: Bool = false
    /// End the job when a rank's loop makes no progress for this many seconds (0: never).
    public var stallTimeout: Double = 300

    public init() {}

    static let resumeRules: [ResumeRule] = [
        .of(\.reliability, "--checkpoint --checkpoint-every --resume --stall-timeout", .free) { _ in "" },
    ]
}
