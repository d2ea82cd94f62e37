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

    public init() {}

    /// Nothing here touches the parameters.
    static let resumeRules: [ResumeRule] = [
        .of(\.reporting, "--log-every --eval-every --eval --summary --metrics --tensorboard --timeline", .free) { _ in "" },
    ]
}
