import NeuralNet
import Foundation

/// A plain double-precision network (loops, no BLAS, no lowering: convolution and pooling by
/// their definitions) that the fast float implementation is checked against: its loss,
/// differentiated by central finite differences, gives reference gradients.
struct ReferenceNetwork {
    let layout: NetworkLayout
    let activation: Activation

    /// Mean softmax cross-entropy of `input` `[rows, inputSize]` with `labels` `[rows]`.
    func loss(parameters: [Double], input: [Double], labels: [Int], rows: Int) -> Double {
        var current = input
        for layer in layout.layers {
            switch layer.kind {
            case .convolution(let convolution):
                current = convolve(current, convolution, layer: layer, parameters: parameters, rows: rows)
                continue
            case .pooling(let pooling):
                current = pool(current, pooling, rows: rows)
                continue
            case .dense:
                break
            }
            var next = [Double](repeating: 0, count: rows * layer.outputs)
            for r in 0..<rows {
                for j in 0..<layer.outputs {
                    var z = parameters[layer.biasOffset + j]
                    for i in 0..<layer.inputs {
                        z += current[r * layer.inputs + i] * parameters[layer.weightOffset + i * layer.outputs + j]
                    }
                    next[r * layer.outputs + j] = layer.activated ? apply(z) : z
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

    /// out[r, oy, ox, f] = b[f] + Σ_{ky, kx, c} in[r, oy·s − p + ky, ox·s − p + kx, c] · W[(ky, kx, c), f]
    /// (zero outside the image), channels last.
    private func convolve(_ input: [Double], _ conv: Convolution, layer: NetworkLayout.Layer, parameters: [Double], rows: Int) -> [Double] {
        let (i, o) = (conv.input, conv.output)
        var out = [Double](repeating: 0, count: rows * o.count)
        for r in 0..<rows {
            for oy in 0..<o.height {
                for ox in 0..<o.width {
                    for f in 0..<o.channels {
                        var z = parameters[layer.biasOffset + f]
                        for ky in 0..<conv.kernel {
                            for kx in 0..<conv.kernel {
                                let (y, x) = (oy * conv.stride - conv.padding + ky, ox * conv.stride - conv.padding + kx)
                                guard (0..<i.height).contains(y), (0..<i.width).contains(x) else { continue }
                                for c in 0..<i.channels {
                                    let w = parameters[layer.weightOffset + ((ky * conv.kernel + kx) * i.channels + c) * o.channels + f]
                                    z += input[r * i.count + (y * i.width + x) * i.channels + c] * w
                                }
                            }
                        }
                        out[r * o.count + (oy * o.width + ox) * o.channels + f] = layer.activated ? apply(z) : z
                    }
                }
            }
        }
        return out
    }

    /// The max or mean of each channel over each window.
    private func pool(_ input: [Double], _ pooling: Pooling, rows: Int) -> [Double] {
        let (i, o) = (pooling.input, pooling.output)
        var out = [Double](repeating: 0, count: rows * o.count)
        for r in 0..<rows {
            for oy in 0..<o.height {
                for ox in 0..<o.width {
                    for c in 0..<o.channels {
                        var values: [Double] = []
                        for ky in 0..<pooling.window {
                            for kx in 0..<pooling.window {
                                let (y, x) = (oy * pooling.stride + ky, ox * pooling.stride + kx)
                                values.append(input[r * i.count + (y * i.width + x) * i.channels + c])
                            }
                        }
                        out[r * o.count + (oy * o.width + ox) * o.channels + c] =
                            pooling.mode == .max ? values.max()! : values.reduce(0, +) / Double(values.count)
                    }
                }
            }
        }
        return out
    }

    private func apply(_ z: Double) -> Double {
        switch activation {
        case .sigmoid: return 1 / (1 + exp(-z))
        case .tanh: return tanh(z)
        case .relu: return max(z, 0)
        }
    }
}
