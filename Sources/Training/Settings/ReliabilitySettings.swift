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
    /// End the job when a rank's loop makes no progress for this many seconds (0: never; nil:
    /// from the measured step time, `StallTimeoutRule`).
    public var stallTimeout: Double? = nil
    /// Under `mnist-mpi elastic`: where every rank sends its heartbeat (`host:port`, UDP).
    public var heartbeat: String? = nil

    public init() {}

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

extension Settings {
    public static let checkpoint = Setting(
        "--checkpoint", .reliability, \.reliability.checkpointPath, resume: .free,
        help: "Write a checkpoint (parameters, optimizer state, position) to this file, atomically.", default: .none,
        text: describe)
    public static let checkpointEvery = Setting(
        "--checkpoint-every", .reliability, \.reliability.checkpointEvery, resume: .free,
        help: "Checkpoint every K epochs (and after the last).",
        check: { every, _ in every >= 1 ? nil : "must be at least 1" })
    public static let checkpointEverySteps = Setting(
        "--checkpoint-every-steps", .reliability, \.reliability.checkpointEverySteps, resume: .free,
        help: "Also checkpoint every K optimizer steps inside an epoch (a relaunch redoes at most K steps; 0: epoch ends only); the summary gives the cost per checkpoint.",
        check: { steps, _ in
            (0...TrainingConfiguration.limits.steps).contains(steps)
                ? nil : "must be 0 (epoch ends only) to \(TrainingConfiguration.limits.steps)"
        })
    public static let checkpointStart = Setting(
        "--resume --auto-resume --overwrite-checkpoint", .reliability, \.reliability.start, resume: .free,
        help: "What to do with the file at --checkpoint: --resume continues it (it must exist; --epochs stays the total); --auto-resume continues it when it exists, else starts; --overwrite-checkpoint starts afresh and replaces it.",
        default: .text("an existing checkpoint is refused with one line, never replaced silently"), text: describe,
        check: { start, config in
            guard let start, config.reliability.checkpointPath == nil else { return nil }
            return start == .resume ? "needs --checkpoint FILE to resume from" : "needs --checkpoint FILE"
        },
        shownOption: { $0.map { "--" + $0.flagName } })
    public static let checkpointCopies = Setting(
        "--checkpoint-copies", .reliability, \.reliability.checkpointCopies, resume: .free,
        help: "Who writes checkpoints: rank0 (one copy; put --checkpoint on storage every relaunch reaches), or node (the first rank of every node writes a copy to the same path on its own disk; a resume starts from the newest copy any node holds: no shared file system needed).",
        text: { $0.rawValue })
    public static let restartsFile = Setting(
        "--restarts-file", .reliability, \.reliability.restartsPath, resume: .free,
        help: "The elastic supervisor's restarts file (set by mnist-mpi elastic).", default: .none, text: describe)
    public static let stallTimeout = Setting(
        "--stall-timeout", .reliability, \.reliability.stallTimeout, resume: .free,
        help: "End the job on every rank when a rank's training loop makes no progress for this many seconds (a stalled or dead rank, a hung network); 0 never.",
        default: .text(StallTimeoutRule.description),
        // Whole seconds without ".0" (Int only where it holds the value: mnist-mpi-fuzz found
        // -1e300 trapping in the conversion).
        text: { seconds in
            guard let seconds else { return "auto" }
            return seconds.rounded() == seconds && abs(seconds) < 1e15 ? "\(Int(seconds))" : "\(seconds)"
        },
        check: { seconds, _ in
            guard let seconds else { return nil }
            let limit = TrainingConfiguration.limits.stallSeconds
            return seconds >= 0 && seconds <= limit ? nil : "must be 0 (never) to \(Int(limit)) seconds"
        })
    public static let heartbeat = Setting(
        "--heartbeat", .reliability, \.reliability.heartbeat, resume: .free,
        help: "Send every rank's heartbeat (its step, its wait) to HOST:PORT over UDP, five times a second (set by mnist-mpi elastic, which tells a hung host from the ranks that wait for it).",
        default: .none, text: describe,
        check: { address, _ in
            guard let address else { return nil }
            return HeartbeatAddress(address) == nil ? "must be HOST:PORT (port 1 to 65535), e.g. 10.0.0.1:40123" : nil
        })

    public static let reliability: [any AnySetting] = [
        checkpoint, checkpointEvery, checkpointEverySteps, checkpointStart, checkpointCopies, restartsFile, stallTimeout,
        heartbeat,
    ]
}

/// `--resume`, `--auto-resume` or `--overwrite-checkpoint`: at most one (nil: none, an
/// existing checkpoint is refused).
public enum CheckpointStart: String, Codable, Sendable, CaseIterable {
    case resume, autoResume, overwriteCheckpoint

    /// The flag's name, e.g. "auto-resume".
    public var flagName: String {
        switch self {
        case .resume: "resume"
        case .autoResume: "auto-resume"
        case .overwriteCheckpoint: "overwrite-checkpoint"
        }
    }
}

extension ReliabilitySettings {
    /// What the command line said about an existing checkpoint, as one value.
    public var start: CheckpointStart? {
        get {
            if resume { return .resume }
            switch existingCheckpoint {
            case .refuse: return nil
            case .resume: return .autoResume
            case .overwrite: return .overwriteCheckpoint
            }
        }
        set {
            resume = newValue == .resume
            switch newValue {
            case .autoResume: existingCheckpoint = .resume
            case .overwriteCheckpoint: existingCheckpoint = .overwrite
            case .resume, nil: existingCheckpoint = .refuse
            }
        }
    }
}
