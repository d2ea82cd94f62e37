import CElementwise
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The nonlinearity of the hidden layers.
public enum Activation: String, CaseIterable, Sendable, Codable {
    case sigmoid
    case tanh
    case relu

    /// Adds `bias` to every row of `values` and applies the activation, in one pass.
    ///
    /// - Parameters:
    ///   - values: `[rows, columns]` row-major pre-activations, overwritten by activations.
    ///   - bias: `[columns]`.
    ///   - rows: the batch size.
    ///   - columns: the layer width.
    public func addBiasAndApply(
        _ values: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int
    ) {
        for row in 0..<rows {
            let line = values + row * columns
            switch self {
            case .sigmoid:
                var j = 0
                while j + 8 <= columns {
                    let z = UnsafeRawPointer(line + j).loadUnaligned(as: SIMD8<Float>.self)
                        + UnsafeRawPointer(bias + j).loadUnaligned(as: SIMD8<Float>.self)
                    let value = 1 / (1 + fastExp(-z))
                    UnsafeMutableRawPointer(line + j).storeBytes(of: value, as: SIMD8<Float>.self)
                    j += 8
                }
                while j < columns {
                    line[j] = 1 / (1 + expf(-(line[j] + bias[j])))
                    j += 1
                }
            case .tanh:
                for j in 0..<columns { line[j] = tanhf(line[j] + bias[j]) }
            case .relu:
                for j in 0..<columns { line[j] = max(line[j] + bias[j], 0) }
            }
        }
    }

    /// Multiplies `gradient` element-wise by the activation's derivative, computed from the
    /// activation's output (sigmoid: a(1-a), tanh: 1-a², relu: a > 0).
    ///
    /// - Parameters:
    ///   - gradient: `[count]` gradient with respect to the outputs, overwritten by the
    ///     gradient with respect to the pre-activations.
    ///   - outputs: `[count]` the activations the forward pass produced.
    ///   - count: rows × columns.
    public func multiplyByDerivative(
        _ gradient: UnsafeMutablePointer<Float>, outputs: UnsafePointer<Float>, count: Int
    ) {
        // In C, vectorised for the CPU at hand (CElementwise), the same bits on every CPU.
        switch self {
        case .sigmoid: ew_sigmoid_backward(gradient, outputs, count)
        case .tanh: ew_tanh_backward(gradient, outputs, count)
        case .relu: ew_relu_backward(gradient, outputs, count)
        }
    }
}

/// Adds `bias` to every row of `values` (the output layer has no activation: its values are
/// the logits).
///
/// - Parameters:
///   - values: `[rows, columns]` row-major, updated in place.
///   - bias: `[columns]`.
func addBias(_ values: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int) {
    for row in 0..<rows {
        let line = values + row * columns
        for j in 0..<columns { line[j] += bias[j] }
    }
}

/// e^x for eight lanes at once (Cephes' expf: range reduction by ln 2, a degree-5 polynomial,
/// scaling by 2^n through the exponent bits); relative error below 4e-7 on [-87, 88], 0 below
/// and +inf above, so sigmoid saturates cleanly. Written with plain lane arithmetic and bit
/// casts only: Swift's generic SIMD rounding and conversions are scalar loops.
@inline(__always)
func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let low = SIMD8<Float>(repeating: -87.3), high = SIMD8<Float>(repeating: 88.7)
    // Masked replacement, not pointwiseMin/Max: those are generic calls that stay unspecialized.
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    // Adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits.
    let shifter = SIMD8<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_04 + shifter
    let n = shifted - shifter
    let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
    var p = SIMD8<Float>(repeating: 1.987_569_1e-4)
    p = p * r + 1.398_199_9e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_5e-1
    p = p * r + 5.000_000_1e-1
    let polynomial = p * r * r + r + 1
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
    // Below the range the true value is 0 (and 2^n's bits would wrap); above it, infinity.
    return (polynomial * scale).replacing(with: 0, where: x .< low).replacing(with: .infinity, where: x .> high)
}
