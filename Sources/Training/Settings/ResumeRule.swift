/// What a resume from a checkpoint may change of one setting. Each settings section declares
/// its rules beside its settings (`resumeRules`); `TrainingConfiguration.resumeRules` lists
/// them all, and the checkpoint keeps the values of every rule that is not `.free`.
public enum ResumePolicy: String, Sendable {
    /// The checkpoint's state means nothing under another value (the architecture, the
    /// optimizer's kind, the data set): the resume is refused with one line.
    case refuse
    /// Training continues, but the trajectory differs from an uninterrupted run: the resume
    /// says what changed.
    case warn
    /// Does not touch the parameters (paths, logging, the epoch count): never mentioned.
    case free
}

/// One setting's name on the command line, its policy, and its value as text.
public struct ResumeRule: Sendable {
    /// The option that sets it, e.g. "--lr".
    public let option: String
    public let policy: ResumePolicy
    /// The value as the checkpoint stores and the log shows it.
    let value: @Sendable (TrainingConfiguration) -> String

    init(_ option: String, _ policy: ResumePolicy, _ value: @escaping @Sendable (TrainingConfiguration) -> String) {
        self.option = option
        self.policy = policy
        self.value = value
    }

    /// A rule of a section, read through the configuration's `section`.
    static func of<Section>(
        _ section: KeyPath<TrainingConfiguration, Section> & Sendable, _ option: String, _ policy: ResumePolicy,
        _ value: @escaping @Sendable (Section) -> String
    ) -> ResumeRule {
        ResumeRule(option, policy) { value($0[keyPath: section]) }
    }
}

/// The text of an optional setting ("default" when unset).
func describe<T>(_ value: T?) -> String {
    value.map { "\($0)" } ?? "default"
}
