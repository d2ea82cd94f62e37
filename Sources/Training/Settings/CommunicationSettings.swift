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
    /// All change the sums' rounding (so the bits of the result) but not the checkpoint's
    /// meaning. PowerSGD's state is restored only for the same rank and rank count.
    static let resumeRules: [ResumeRule] = [
        .of(\.communication, "--compression", .warn) { $0.compression.rawValue },
        .of(\.communication, "--powersgd-rank", .warn) { "\($0.powerSGDRank)" },
        .of(\.communication, "--powersgd-warmup-steps", .warn) { "\($0.powerSGDWarmupSteps)" },
        .of(\.communication, "--overlap", .warn) { "\($0.overlap)" },
        .of(\.communication, "--allreduce", .warn) { $0.allReduceMethod.rawValue },
    ]
}
