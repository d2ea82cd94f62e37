/// How the gradients travel between ranks: the configuration's section that picks the
/// gradient reducer (`GradientReducers`).
public struct CommunicationSettings: Codable, Sendable, Equatable {
    /// Overlap the gradient allreduce with backward (one nonblocking allreduce per layer).
    public var overlap: Bool = false
    /// How the gradients travel: float32, bfloat16 or PowerSGD.
    public var compression: GradientCompression = .auto
    /// PowerSGD's approximation rank.
    public var powerSGDRank: Int = 4
    /// Steps sent uncompressed before PowerSGD starts (as PyTorch's start_powerSGD_iter).
    public var powerSGDWarmupSteps: Int = 100
    /// How the gradients are summed.
    public var allReduceMethod: AllReduceMethod = .automatic

    public init() {}
}

extension CommunicationSettings {
}

extension Settings {
    public static let overlap = Setting(
        "--overlap", .communication, \.communication.overlap, resume: .warn,
        help: "Overlap the gradient allreduce with backward: one nonblocking allreduce per layer, started as soon as the layer is done.",
        default: .none)
    public static let compression = Setting(
        "--compression", .communication, \.communication.compression, resume: .warn,
        help: "How gradients travel: none (float32), bf16 or fp16 (bfloat16 or IEEE float16: half the bytes, summed in float32 and rounded), powersgd (rank-r approximations of the weight matrices with error feedback, as PyTorch's PowerSGD hook; biases as they are) or auto: none on one node, across nodes the fastest of them as timed on the job's links at start-up (a compression must save 30% of the sum).",
        note: "PowerSGD's state is restored only for the same `--powersgd-rank` and rank count, else it starts afresh and says so",
        text: { $0.rawValue })
    public static let powerSGDRank = Setting(
        "--powersgd-rank", .communication, \.communication.powerSGDRank, resume: .warn,
        help: "With --compression powersgd: the approximation rank.",
        check: { rank, _ in
            (1...TrainingConfiguration.limits.width).contains(rank) ? nil : "must be 1 to \(TrainingConfiguration.limits.width)"
        })
    public static let powerSGDWarmupSteps = Setting(
        "--powersgd-warmup-steps", .communication, \.communication.powerSGDWarmupSteps, resume: .warn,
        help: "With --compression powersgd: steps sent uncompressed first.",
        check: { steps, _ in
            (0...TrainingConfiguration.limits.steps).contains(steps) ? nil : "must be 0 to \(TrainingConfiguration.limits.steps)"
        })
    public static let allReduce = Setting(
        "--allreduce", .communication, \.communication.allReduceMethod, resume: .warn,
        help: "Gradient sum: auto (shared-memory windows within nodes, hierarchical across nodes with equal rank counts; else MPI_Allreduce), mpi or shared-memory.",
        text: { $0.rawValue })

    public static let communication: [any AnySetting] = [overlap, compression, powerSGDRank, powerSGDWarmupSteps, allReduce]
}
