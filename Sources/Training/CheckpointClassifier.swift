import Foundation
import MNISTData
import NeuralNet

/// The model stored in a checkpoint, ready to classify pictures in one process (no MPI):
/// `predict`, `export` and `evaluate --save-logits` start here.
public final class CheckpointClassifier {
    public let checkpoint: Checkpoint
    public let model: Network
    /// The data set it was trained on (the checkpoint's `--dataset`, MNIST for older files).
    public let dataset: Dataset
    private let kernels: ComputeKernels

    /// - Parameters:
    ///   - checkpointPath: a file written by `mnist-mpi train --checkpoint`.
    ///   - kernels: the products' kernels (OpenBLAS float32 unless asked).
    /// - Throws: `CheckpointError` naming what is wrong with the file.
    public init(checkpointPath: String, kernels: ComputeKernels = .openblas) throws {
        checkpoint = try CheckpointFile.read(path: checkpointPath)
        // `CheckpointFile.read` checked that the header's model has a layout.
        let layout = (try? checkpoint.header.layout()) ?? NetworkLayout(sizes: checkpoint.header.layerSizes)
        model = Network(layout: layout, activation: checkpoint.header.activation)
        model.parameters.assign(checkpoint.parameters)
        dataset = checkpoint.header.settings?["--dataset"].flatMap(Dataset.init(rawValue:)) ?? .mnist
        self.kernels = kernels
    }

    /// The pixels per picture the model takes.
    public var inputSize: Int { model.layout.inputSize }
    /// The number of classes.
    public var classCount: Int { model.layout.outputSize }

    /// The model's logits for `rows` pictures, computed in chunks.
    ///
    /// - Parameters:
    ///   - pixels: `[rows, inputSize]` grey levels 0...255 (white on black), scaled by 1/255 as
    ///     in training.
    ///   - rows: the number of pictures.
    /// - Returns: `[rows, classCount]` row-major.
    /// - Throws: `KernelError` when oneDNN cannot make its primitives.
    public func logits(pixels: [UInt8], rows: Int, chunkSize: Int = 500) throws -> [Float] {
        precondition(pixels.count == rows * inputSize, "pixels do not fit \(rows) pictures")
        guard rows > 0 else { return [] }
        let chunk = min(chunkSize, rows)
        let workspace = try NetworkWorkspace(model: model, capacity: chunk, kernels: kernels, training: false)
        let input = FloatBuffer(count: chunk * inputSize)
        var output = [Float](repeating: 0, count: rows * classCount)
        var start = 0
        while start < rows {
            let count = min(chunk, rows - start)
            pixels.withUnsafeBufferPointer { source in
                guard let base = source.baseAddress else { return }
                scalePixels(base + start * inputSize, into: input.pointer, count: count * inputSize)
            }
            let logits = model.forward(input: input.pointer, rows: count, workspace: workspace)
            for index in 0..<(count * classCount) { output[start * classCount + index] = logits[index] }
            start += count
        }
        return output
    }

    /// The softmax of each row of `logits`, computed in Double.
    ///
    /// - Parameter logits: `[rows, classes]`.
    /// - Returns: `[rows, classes]` probabilities, each row summing to 1.
    public static func probabilities(logits: [Float], classes: Int) -> [Double] {
        var output = [Double](repeating: 0, count: logits.count)
        for row in 0..<(logits.count / classes) {
            let line = logits[(row * classes)..<((row + 1) * classes)].map(Double.init)
            let largest = line.max() ?? 0
            let exponentials = line.map { exp($0 - largest) }
            let total = exponentials.reduce(0, +)
            for (index, value) in exponentials.enumerated() { output[row * classes + index] = value / total }
        }
        return output
    }
}
