import NeuralNet

/// What computes the products, and how.
public struct ComputeSettings: Codable, Sendable, Equatable {
    /// OpenBLAS threads per rank (and oneDNN's).
    public var blasThreads: Int = 1
    /// The library of the matrix products; nil picks oneDNN where it loads, else OpenBLAS.
    public var kernels: KernelLibrary? = nil
    /// float32, or bfloat16 products with float32 master weights (needs oneDNN and a CPU with
    /// AVX512_BF16 or AMX).
    public var precision: Precision = .fp32
    /// Treat subnormal floats as zero (see `SubnormalFloats`); false: IEEE arithmetic.
    public var flushSubnormals: Bool = true

    public init() {}

    /// Checkpoints are float32 whatever computed them: a resume may move between kernels and
    /// precisions (the rounding, hence the bits, change).
    static let resumeRules: [ResumeRule] = [
        .of(\.compute, "--kernels", .warn) { describe($0.kernels?.rawValue) },
        .of(\.compute, "--precision", .warn) { $0.precision.rawValue },
        .of(\.compute, "--keep-subnormals", .warn) { "\(!$0.flushSubnormals)" },
        .of(\.compute, "--blas-threads", .free) { "\($0.blasThreads)" },
    ]
}
