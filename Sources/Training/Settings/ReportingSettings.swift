/// What a run logs, evaluates and writes besides the model.
public struct ReportingSettings: Codable, Sendable, Equatable {
    /// Log at epochs 0, logEvery, 2·logEvery, ...
    public var logEvery: Int = 3
    /// Evaluate the test set at epochs 0, evalEvery, ... (0: only at the end).
    public var evalEvery: Int = 3
    /// Who evaluates: rank 0 alone or every rank a slice.
    public var evaluation: EvaluationMode = .rank0
    /// Rank 0 writes the run summary (JSON) here.
    public var summaryPath: String? = nil
    /// Rank 0 writes one JSON line per epoch here.
    public var metricsPath: String? = nil
    /// Rank 0 writes TensorBoard event files into this folder.
    public var tensorboardDirectory: String? = nil
    /// With `tensorboardDirectory`: the step's cost every this many steps (0: per epoch only).
    public var tensorboardEvery: Int = 10
    /// Every rank's timeline, gathered to rank 0, goes to this Chrome trace file.
    public var timelinePath: String? = nil
    /// Steps the timeline records (the first ones of the run).
    public var timelineSteps: Int = 300
    /// When rank 0 draws its live status line.
    public var progress: ProgressMode = .auto

    public init() {}

}

/// When `--progress` draws the live status line.
public enum ProgressMode: String, Codable, Sendable, CaseIterable {
    /// On a terminal, without a launcher (under mpirun a rank's stdout is a pseudo-terminal
    /// even when mpirun's output goes to a file).
    case auto
    case always
    case never
}

extension Settings {
    public static let logEvery = Setting(
        "--log-every", .reporting, \.reporting.logEvery, resume: .free,
        help: "Log the cost every K epochs (epochs 0, K, 2K, ...).", note: "outputs only",
        check: { every, _ in every >= 1 ? nil : "must be at least 1" })
    public static let evalEvery = Setting(
        "--eval-every", .reporting, \.reporting.evalEvery, resume: .free,
        help: "Evaluate the test set every K epochs (0: only at the end).",
        check: { every, _ in every >= 0 ? nil : "must be 0 (only at the end) or more" })
    public static let evaluation = Setting(
        "--eval", .reporting, \.reporting.evaluation, resume: .free,
        help: "Who evaluates: rank0 (the whole test set) or sharded (a slice per rank).", text: { $0.rawValue })
    public static let progress = Setting(
        "--progress", .reporting, \.reporting.progress, resume: .free,
        help: "Live status line on rank 0 (batches, samples/s, ETA): auto (a terminal, without mpirun), always or never.",
        text: { $0.rawValue })
    public static let summary = Setting(
        "--summary", .reporting, \.reporting.summaryPath, resume: .free,
        help: "Write the run summary (JSON) to this file (rank 0).", default: .none, text: describe)
    public static let metrics = Setting(
        "--metrics", .reporting, \.reporting.metricsPath, resume: .free,
        help: "Write one JSON line per epoch to this file (rank 0).", default: .none, text: describe)
    public static let tensorboard = Setting(
        "--tensorboard", .reporting, \.reporting.tensorboardDirectory, resume: .free,
        help: "Rank 0 writes TensorBoard event files into this folder: per epoch the cost, test accuracy, learning rate, samples/s, compute and allreduce seconds; the step's cost every --tensorboard-every steps. Resumed runs continue the same curves.",
        default: .none, text: describe)
    public static let tensorboardEvery = Setting(
        "--tensorboard-every", .reporting, \.reporting.tensorboardEvery, resume: .free,
        help: "With --tensorboard: the step's cost every N steps; 0 per epoch only.",
        check: { every, _ in
            (0...TrainingConfiguration.limits.steps).contains(every)
                ? nil : "must be 0 (per epoch only) to \(TrainingConfiguration.limits.steps) steps"
        })
    public static let timeline = Setting(
        "--timeline", .reporting, \.reporting.timelinePath, resume: .free,
        help: "Write every rank's timeline (forward+backward, allreduce split into waiting for the slowest rank and transfer, optimizer, evaluations, checkpoints) as a Chrome trace JSON file for Perfetto or chrome://tracing, gathered to rank 0 at the end or at a stop.",
        default: .none, text: describe)
    public static let timelineSteps = Setting(
        "--timeline-steps", .reporting, \.reporting.timelineSteps, resume: .free,
        help: "With --timeline: record the first N steps.",
        check: { steps, _ in
            (1...TrainingConfiguration.limits.timelineSteps).contains(steps)
                ? nil : "must be 1 to \(TrainingConfiguration.limits.timelineSteps)"
        })

    public static let reporting: [any AnySetting] = [
        logEvery, evalEvery, evaluation, progress, summary, metrics, tensorboard, tensorboardEvery, timeline, timelineSteps,
    ]
}
