/// The part of `mnist-mpi train`'s help a setting is listed under.
public enum SettingSection: String, Sendable, CaseIterable {
    case data = "Data"
    case model = "Model"
    case optimization = "Optimization"
    case communication = "Communication"
    case compute = "Compute"
    case reporting = "Logging and outputs"
    case reliability = "Checkpoints and failures"
}

/// What `--help` shows as a setting's default.
public enum HelpDefault: Sendable {
    /// The value in the presets: "(default: 0.1)", or "(default: 0.1/0.001)" where seed and
    /// improved differ.
    case presets
    /// A sentence instead (the default depends on other settings or the environment).
    case text(String)
    /// No default shown (an unset path, a flag).
    case none
}

/// One setting of `mnist-mpi train`, declared once: its flag, where its value lives in the
/// configuration, its help (the default read from the presets, never copied), its range
/// check, its section and what a resume may change. The command line's option refers to it
/// for its name and help and applies a given value through it (`TrainingConfiguration.set`);
/// the checkpoint keeps its value under its flag; `validate()` runs its check.
public struct Setting<Value>: Sendable {
    /// The option, e.g. "--lr" (several for one value: "--resume --auto-resume ...").
    public let flag: String
    public let section: SettingSection
    public let keyPath: WritableKeyPath<TrainingConfiguration, Value> & Sendable
    let summary: String
    let helpDefault: HelpDefault
    public let resume: ResumePolicy
    /// Why the resume policy is what it is (docs/reliability.md's table), or "".
    public let resumeNote: String
    /// The value as the checkpoint stores it, the resume notes and help show it.
    let text: @Sendable (Value) -> String
    /// The rule the value breaks in this configuration (one line's end), or nil.
    let check: @Sendable (Value, TrainingConfiguration) -> String?
    /// The option an error names when the flag lists several (nil: the first).
    let shownOption: (@Sendable (Value) -> String?)?

    init(
        _ flag: String, _ section: SettingSection, _ keyPath: WritableKeyPath<TrainingConfiguration, Value> & Sendable,
        resume: ResumePolicy, help summary: String, default helpDefault: HelpDefault = .presets, note: String = "",
        text: @escaping @Sendable (Value) -> String = { "\($0)" },
        check: @escaping @Sendable (Value, TrainingConfiguration) -> String? = { _, _ in nil },
        shownOption: (@Sendable (Value) -> String?)? = nil
    ) {
        self.flag = flag
        self.section = section
        self.keyPath = keyPath
        self.summary = summary
        self.helpDefault = helpDefault
        self.resume = resume
        self.resumeNote = note
        self.text = text
        self.check = check
        self.shownOption = shownOption
    }

    /// The option's long name without its dashes, for the command line's `@Option(name:)`.
    public var name: String { String(flag.dropFirst(2)) }

    /// The help text: the summary, then the default as the presets have it.
    public var help: String {
        switch helpDefault {
        case .none: return summary
        case .text(let sentence): return "\(summary) (default: \(sentence))"
        case .presets:
            var shown: [String] = []
            for preset in TrainingConfiguration.presets {
                let value = text(preset[keyPath: keyPath])
                if !value.isEmpty, !shown.contains(value) { shown.append(value) }
            }
            return "\(summary) (default: \(shown.joined(separator: "/")))"
        }
    }

    /// The default as help shows it ("0.1/0.001"), nil when help shows none.
    public var defaultShown: String? {
        let help = self.help
        guard let range = help.range(of: " (default: ", options: .backwards) else { return nil }
        return String(help[range.upperBound...].dropLast())
    }
}

/// A setting of any value type: what the registry, the checkpoint and `validate()` need.
public protocol AnySetting: Sendable {
    var flag: String { get }
    var section: SettingSection { get }
    var resume: ResumePolicy { get }
    var resumeNote: String { get }
    var help: String { get }
    var defaultShown: String? { get }
    /// The value's text in `configuration`.
    func valueText(in configuration: TrainingConfiguration) -> String
    /// The error for the value in `configuration`, or nil when it is allowed.
    func problem(in configuration: TrainingConfiguration) -> TrainingError?
}

extension Setting: AnySetting {
    public func valueText(in configuration: TrainingConfiguration) -> String {
        text(configuration[keyPath: keyPath])
    }

    public func problem(in configuration: TrainingConfiguration) -> TrainingError? {
        let value = configuration[keyPath: keyPath]
        guard let rule = check(value, configuration) else { return nil }
        // A flag names itself; a value is shown after its option.
        let shown = Value.self == Bool.self || shownOption != nil ? "" : text(value)
        let option = shownOption?(value) ?? flag.split(separator: " ").first.map(String.init) ?? flag
        return .invalidOption(option: option, value: shown, rule: rule)
    }
}

extension TrainingConfiguration {
    /// Sets `setting` to `value` when the option was given (`value` not nil); a value the
    /// option did not give keeps the preset's.
    public mutating func set<Value>(_ setting: Setting<Value>, given value: Value?) {
        if let value { self[keyPath: setting.keyPath] = value }
    }

    /// The same for a setting whose value may be unset (nil): only a given value is set.
    public mutating func set<Wrapped>(_ setting: Setting<Wrapped?>, given value: Wrapped?) {
        if let value { self[keyPath: setting.keyPath] = value }
    }
}

/// Every setting of `mnist-mpi train`, declared section by section beside the section's values.
public enum Settings {
    /// In the order `validate()` checks them and the settings table lists them.
    public static let all: [any AnySetting] = data + model + optimization + communication + compute + reporting + reliability
}
