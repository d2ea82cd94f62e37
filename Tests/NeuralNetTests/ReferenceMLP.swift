import NeuralNet
import Foundation

/// A plain double-precision MLP (loops, no BLAS) that the fast float implementation is checked
/// against: its loss, differentiated by central finite differences, gives reference gradients.
struct ReferenceMLP {
    let layout: MLPLayout
    let activation: Activation

    /// Mean softmax cross-entropy of `input` `[rows, inputSize]` with `labels` `[rows]`.
    func loss(parameters: [Double], input: [Double], labels: [Int], rows: Int) -> Double {
        var current = input
        for (index, layer) in layout.layers.enumerated() {
            var next = [Double](repeating: 0, count: rows * layer.outputs)
            for r in 0..<rows {
                for j in 0..<layer.outputs {
                    var z = parameters[layer.biasOffset + j]
                    for i in 0..<layer.inputs {
                        z += current[r * layer.inputs + i] * parameters[layer.weightOffset + i * layer.outputs + j]
                    }
                    next[r * layer.outputs + j] = index == layout.layers.count - 1 ? z : apply(z)
                }
            }
            current = next
        }
        let classes = layout.outputSize
        var total = 0.0
        for r in 0..<rows {
            let row = current[(r * classes)..<((r + 1) * classes)]
            let largest = row.max() ?? 0
            let logSum = log(row.reduce(0) { $0 + exp($1 - largest) }) + largest
            total += logSum - row[row.startIndex + labels[r]]
        }
        return total / Double(rows)
    }

    private func apply(_ z: Double) -> Double {
        switch activation {
        case .sigmoid: return 1 / (1 + exp(-z))
        case .tanh: return tanh(z)
        case .relu: return max(z, 0)
        }
    }
}
