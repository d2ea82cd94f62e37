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
                for j in 0..<columns { line[j] = 1 / (1 + expf(-(line[j] + bias[j]))) }
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
        switch self {
        case .sigmoid:
            for i in 0..<count { gradient[i] *= outputs[i] * (1 - outputs[i]) }
        case .tanh:
            for i in 0..<count { gradient[i] *= 1 - outputs[i] * outputs[i] }
        case .relu:
            for i in 0..<count where outputs[i] <= 0 { gradient[i] = 0 }
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
