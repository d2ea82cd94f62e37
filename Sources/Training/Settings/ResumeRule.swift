/// What a resume from a checkpoint may change of one setting. Each setting declares its
/// policy (`Setting.resume`); the checkpoint keeps the value of every setting that is not
/// `.free`, under its flag.
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

/// The text of an optional setting ("default" when unset).
@Sendable func describe<T>(_ value: T?) -> String {
    value.map { "\($0)" } ?? "default"
}
