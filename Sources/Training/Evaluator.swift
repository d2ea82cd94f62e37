import MNISTData
import NeuralNet

/// Classifies a labelled set in fixed-size chunks and counts the correct answers.
final class Evaluator {
    let examples: LabeledImages
    private let chunkSize: Int
    private let workspace: MLPWorkspace
    private let input: FloatBuffer
    private var predictions: [Int32]

    init(examples: LabeledImages, layout: MLPLayout, chunkSize: Int = 1000) {
        self.examples = examples
        self.chunkSize = max(1, min(chunkSize, examples.count))
        workspace = MLPWorkspace(layout: layout, capacity: self.chunkSize)
        input = FloatBuffer(count: self.chunkSize * examples.pixelsPerImage)
        predictions = [Int32](repeating: 0, count: self.chunkSize)
    }

    /// The number of examples `model` classifies correctly.
    func correctCount(model: MLP) -> Int {
        let pixels = examples.pixelsPerImage
        var correct = 0
        var start = 0
        while start < examples.count {
            let rows = min(chunkSize, examples.count - start)
            examples.pixels.withUnsafeBufferPointer { source in
                guard let base = source.baseAddress else { return }
                let from = base + start * pixels
                for i in 0..<(rows * pixels) { input.pointer[i] = Float(from[i]) * (1 / 255) }
            }
            predictions.withUnsafeMutableBufferPointer { predictions in
                guard let out = predictions.baseAddress else { return }
                model.predict(input: input.pointer, rows: rows, workspace: workspace, into: out)
                for row in 0..<rows where predictions[row] == Int32(examples.labels[start + row]) {
                    correct += 1
                }
            }
            start += rows
        }
        return correct
    }

    /// The fraction of examples `model` classifies correctly, 0...1.
    func accuracy(model: MLP) -> Double {
        Double(correctCount(model: model)) / Double(examples.count)
    }
}
