import COneDNN

/// One oneDNN matmul primitive for one shape, made once:
/// C[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n]), then an optional activation, in one pass.
public final class OneDNNMatmul {
    /// The element type of an operand.
    public enum ElementType: Sendable {
        case float32, bfloat16

        var c: onednn_type { self == .float32 ? ONEDNN_F32 : ONEDNN_BF16 }
    }

    private let primitive: OpaquePointer
    /// oneDNN's name for its implementation, e.g. "brg:avx512_core_bf16".
    public let implementation: String

    /// Makes the primitive.
    ///
    /// - Parameters:
    ///   - transposeA: A is stored `[k, m]` (else `[m, k]`); `transposeB`: B is stored `[n, k]`.
    ///   - withBias: a float32 `[n]` bias is added to every row of C.
    ///   - activation: applied after the bias (nil: none).
    ///   - accumulate: C = C + op(A) · op(B), the product finished before the addition
    ///     (oneDNN's sum post-op), instead of overwriting C.
    /// - Throws: `KernelError` when oneDNN is missing or has no implementation for the shape.
    public init(
        m: Int, n: Int, k: Int, transposeA: Transpose = .none, transposeB: Transpose = .none,
        a: ElementType, b: ElementType, c: ElementType, withBias: Bool = false, activation: Activation? = nil,
        accumulate: Bool = false
    ) throws {
        var message = [CChar](repeating: 0, count: 256)
        var made: OpaquePointer?
        let status = onednn_matmul_create(
            &made, Int64(m), Int64(n), Int64(k), transposeA == .transposed ? 1 : 0,
            transposeB == .transposed ? 1 : 0, a.c, b.c, c.c, withBias ? 1 : 0,
            activation?.oneDNN ?? ONEDNN_NO_ACTIVATION, accumulate ? 1 : 0, &message, message.count)
        guard status == 0, let made else {
            throw KernelError(message: OneDNN.text(of: message))
        }
        primitive = made
        implementation = String(cString: onednn_matmul_implementation(made))
    }

    deinit { onednn_matmul_destroy(primitive) }

    /// Computes C from A, B (and the bias) in the shape and types given at creation.
    ///
    /// - Parameters:
    ///   - a: `[m, k]` (or `[k, m]` transposed); b: `[k, n]` (or `[n, k]` transposed).
    ///   - bias: `[n]` float32 when made with a bias, else ignored.
    ///   - c: `[m, n]`, overwritten (added to, when made with `accumulate`).
    public func run(a: UnsafeRawPointer, b: UnsafeRawPointer, bias: UnsafePointer<Float>? = nil, c: UnsafeMutableRawPointer) {
        let status = onednn_matmul_run(primitive, a, b, bias, c)
        // Every argument was checked when the primitive was made: a failure here is a bug.
        precondition(status == 0, "oneDNN matmul (\(implementation)) failed with status \(status)")
    }
}

extension Sequence<OneDNNMatmul> {
    /// The distinct implementation names of these primitives, sorted, e.g. ["brg:avx512_core"].
    public var implementationNames: [String] { Array(Set(map(\.implementation))).sorted() }
}

extension Activation {
    /// The same function as a oneDNN post-op.
    var oneDNN: onednn_activation {
        switch self {
        case .sigmoid: return ONEDNN_LOGISTIC
        case .tanh: return ONEDNN_TANH
        case .relu: return ONEDNN_RELU
        }
    }
}
