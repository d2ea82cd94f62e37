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

}

extension Settings {
    public static let blasThreads = Setting(
        "--blas-threads", .compute, \.compute.blasThreads, resume: .free, help: "OpenBLAS (or oneDNN) threads per rank.",
        check: { threads, _ in threads >= 1 ? nil : "must be at least 1" })
    public static let kernels = Setting(
        "--kernels", .compute, \.compute.kernels, resume: .warn,
        help: "Matrix-product kernels: auto (oneDNN where libdnnl.so.2 loads and --blas-threads is 1, else OpenBLAS), openblas or onednn (primitives made once per shape, bias and activation fused).",
        default: .text("auto"), note: "checkpoints are float32 whatever computed them", text: { describe($0?.rawValue) })
    public static let precision = Setting(
        "--precision", .compute, \.compute.precision, resume: .warn,
        help: "Precision of the matrix products: fp32, or bf16 (bfloat16 inputs, float32 accumulation, master weights, optimizer and gradient sums; needs oneDNN and a CPU with AVX512_BF16 or AMX; with --model's convolutions, the convolutions compute in bfloat16 and the dense layers and pooling in float32). Checkpoints stay float32 and resume in either.",
        note: "the same", text: { $0.rawValue })
    public static let keepSubnormals = Setting(
        "--keep-subnormals", .compute, \.compute.flushSubnormals, resume: .warn,
        help: "Compute with subnormal floats as IEEE says (slow on x86 when a saturated network makes many); the default flushes them to zero, as TensorFlow does.",
        default: .none, text: { "\(!$0)" })

    public static let compute: [any AnySetting] = [blasThreads, kernels, precision, keepSubnormals]
}
