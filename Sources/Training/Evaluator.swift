import MNISTData
import NeuralNet

/// Classifies a labelled set in fixed-size chunks and counts answers per (true, predicted)
/// class pair: one rank's part of a confusion matrix.
final class Evaluator {
    let examples: LabeledImages
    let classCount: Int
    private let chunkSize: Int
    private let workspace: NetworkWorkspace
    private let input: FloatBuffer
    private var predictions: [Int32]

    /// - Parameter kernels: the products' kernels (as the model trained: bfloat16 evaluates in
    ///   bfloat16).
    /// - Throws: `KernelError` when oneDNN cannot make its primitives.
    init(examples: LabeledImages, model: Network, kernels: ComputeKernels = .openblas, chunkSize: Int = 500) throws {
        self.examples = examples
        classCount = model.layout.outputSize
        self.chunkSize = max(1, min(chunkSize, examples.count))
        workspace = try NetworkWorkspace(model: model, capacity: self.chunkSize, kernels: kernels, training: false)
        input = FloatBuffer(count: self.chunkSize * examples.pixelsPerImage)
        predictions = [Int32](repeating: 0, count: self.chunkSize)
    }

    /// `[classCount × classCount]` counts: entry `true × classCount + predicted`.
    func confusionCounts(model: Network) -> [Int64] {
        var counts = [Int64](repeating: 0, count: classCount * classCount)
        let pixels = examples.pixelsPerImage
        var start = 0
        while start < examples.count {
            let rows = min(chunkSize, examples.count - start)
            examples.pixels.withUnsafeBufferPointer { source in
                guard let base = source.baseAddress else { return }
                let from = base + start * pixels
                scalePixels(from, into: input.pointer, count: rows * pixels)
            }
            predictions.withUnsafeMutableBufferPointer { predictions in
                guard let out = predictions.baseAddress else { return }
                model.predict(input: input.pointer, rows: rows, workspace: workspace, into: out)
                for row in 0..<rows {
                    let truth = Int(examples.labels[start + row])
                    counts[truth * classCount + Int(predictions[row])] += 1
                }
            }
            start += rows
        }
        return counts
    }
}
