#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Mean softmax cross-entropy of a batch and its gradient, in one pass per row.
///
/// Computed stably from the logits: log-softmax is `z - max(z) - log Σ exp(z - max(z))`, so
/// logits of ±1e4 give finite results.
///
/// - Parameters:
///   - logits: `[rows, classes]` row-major.
///   - labels: `[rows]` class indices in `0 ..< classes`.
///   - gradient: `[rows, classes]`, overwritten by ∂loss/∂logits = (softmax - onehot) / rows;
///     may be `nil` when only the loss is needed.
/// - Returns: the mean over rows of -log softmax(logits)[label], in double precision.
public func softmaxCrossEntropy(
    logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, classes: Int,
    gradient: UnsafeMutablePointer<Float>?
) -> Double {
    var total = 0.0
    let scale = 1 / Float(rows)
    for row in 0..<rows {
        let line = logits + row * classes
        var largest = line[0]
        for j in 1..<classes { largest = max(largest, line[j]) }
        var sum: Float = 0
        for j in 0..<classes { sum += expf(line[j] - largest) }
        let logSum = logf(sum)
        let label = Int(labels[row])
        total += Double(logSum - (line[label] - largest))
        if let gradient {
            let out = gradient + row * classes
            let inverseSum = 1 / sum
            for j in 0..<classes { out[j] = expf(line[j] - largest) * inverseSum * scale }
            out[label] -= scale
        }
    }
    return total / Double(rows)
}
