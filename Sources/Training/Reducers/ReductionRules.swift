/// The one table of what combines in the gradient sum. Two axes: how the sum is computed (the
/// reducers, `GradientReducers`) and what travels (float32, or a `HalfFloat` format named by
/// `--compression`). The MPI and overlapped sums send any wire format; the reductions below
/// take float32 only or exclude each other, each with the one line a user gets.
/// `TrainingConfiguration.validate()` applies it to what the options ask for explicitly
/// (`--compression auto` resolves within it at start-up).
enum ReductionRules {
    /// A reduction the options ask for by name.
    enum Reduction: CaseIterable {
        case deterministic, sharedMemory, powerSGD, overlapped

        /// Whether `configuration` asks for it.
        func isAsked(in configuration: TrainingConfiguration) -> Bool {
            let communication = configuration.communication
            switch self {
            case .deterministic: return configuration.optimization.deterministic
            case .sharedMemory: return communication.allReduceMethod == .sharedMemory
            case .powerSGD: return communication.compression == .powerSGD
            case .overlapped: return communication.overlap
            }
        }
    }

    /// One rule: `reduction` with a 16-bit wire (unless `sendsHalfFloats`) or with any of
    /// `excludes` is refused with `option value: line`.
    struct Rule {
        let reduction: Reduction
        let option: String
        let value: String
        let sendsHalfFloats: Bool
        let excludes: Set<Reduction>
        let line: String
    }

    /// In the order they are checked: the first rule broken gives the error.
    static let rules: [Rule] = [
        Rule(reduction: .deterministic, option: "--deterministic", value: "", sendsHalfFloats: false,
             excludes: [.sharedMemory, .powerSGD, .overlapped],
             line: "sums micro-batches in one fixed tree: drop --overlap, --compression and --allreduce shared-memory"),
        Rule(reduction: .sharedMemory, option: "--allreduce", value: "shared-memory", sendsHalfFloats: false,
             excludes: [.powerSGD, .overlapped], line: "does not combine with --overlap or --compression"),
        Rule(reduction: .powerSGD, option: "--compression", value: "powersgd", sendsHalfFloats: false,
             excludes: [.overlapped], line: "does not combine with --overlap (its two sums need the whole gradient)"),
    ]

    /// The error for the reductions and the wire `configuration` asks for, or nil when they combine.
    static func problem(in configuration: TrainingConfiguration) -> TrainingError? {
        let asked = Set(Reduction.allCases.filter { $0.isAsked(in: configuration) })
        let halfFloats = configuration.communication.compression.halfFloat != nil
        for rule in rules where asked.contains(rule.reduction) {
            if (halfFloats && !rule.sendsHalfFloats) || !rule.excludes.isDisjoint(with: asked) {
                return .invalidOption(option: rule.option, value: rule.value, rule: rule.line)
            }
        }
        return nil
    }
}
