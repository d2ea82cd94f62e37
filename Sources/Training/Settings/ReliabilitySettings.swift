/// Checkpoints and the stall watchdog.
public struct ReliabilitySettings: Codable, Sendable, Equatable {
    /// Rank 0 writes checkpoints here (atomically).
    public var checkpointPath: String? = nil
    /// Write a checkpoint every K epochs (and after the last).
    public var checkpointEvery: Int = 1
    /// Also write one every K optimizer steps inside an epoch (0: only at epoch ends). A
    /// relaunch after a failure then redoes at most K steps.
    public var checkpointEverySteps: Int = 0
    /// Continue from the checkpoint at `checkpointPath`.
    public var resume: Bool = false
    /// What a run without `resume` does when `checkpointPath` holds a checkpoint already.
    public var existingCheckpoint: ExistingCheckpoint = .refuse
    /// Who writes checkpoints: rank 0 (to a path every relaunch can read: a shared file
    /// system), or the first rank of every node, each to the same path on its own disk (a
    /// resume starts from the newest copy any rank's node holds).
    public var checkpointCopies: CheckpointCopies = .rankZero
    /// The restarts of an elastic job so far (JSON written by `mnist-mpi elastic`), copied
    /// into the summary, the log, TensorBoard and the timeline.
    public var restartsPath: String? = nil
    /// End the job when a rank's loop makes no progress for this many seconds (0: never).
    public var stallTimeout: Double = 300

    public init() {}

    static let resumeRules: [ResumeRule] = [
        .of(\.reliability, "--checkpoint --checkpoint-every --checkpoint-every-steps --checkpoint-copies --resume --auto-resume --overwrite-checkpoint --stall-timeout", .free) { _ in "" },
    ]
}

/// What a run that was not told `--resume` does with a checkpoint already at its path: a
/// checkpoint holds progress, so it is never replaced silently.
public enum ExistingCheckpoint: String, Codable, Sendable, CaseIterable {
    /// Stop with one line that names both ways on (the default).
    case refuse
    /// Continue from it (`--auto-resume`); start afresh when there is none.
    case resume
    /// Start afresh and replace it (`--overwrite-checkpoint`).
    case overwrite
}

/// Where checkpoints are written (`--checkpoint-copies`).
public enum CheckpointCopies: String, Codable, Sendable, CaseIterable {
    /// Rank 0 writes the one copy.
    case rankZero = "rank0"
    /// The first rank of every node writes a copy on its node.
    case everyNode = "node"
}
