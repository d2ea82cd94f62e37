import MNISTData
import NeuralNet

/// Evaluates a checkpoint's model (`CheckpointClassifier.model`) on a test set, in one process
/// (no MPI): the inference side of a training run.
public enum CheckpointEvaluation {
    /// The test-set confusion matrix of `model`.
    ///
    /// - Parameters:
    ///   - dataDirectory: the folder with the test files (t10k-*).
    ///   - limit: evaluate only the first N test examples (nil: all).
    ///   - kernels: the products' kernels and precision (as the run trained, to reproduce its count).
    /// - Throws: `MNISTDataError`, `TrainingError` or `KernelError` naming the problem.
    public static func evaluate(
        _ model: Network, dataDirectory: String, limit: Int? = nil, kernels: ComputeKernels = .openblas
    ) throws -> TestResult {
        let layout = model.layout
        let source = try MNISTSource(directory: dataDirectory, split: .test)
        guard source.pixelsPerImage == layout.inputSize else {
            throw TrainingError.inputSizeMismatch(
                path: source.imagesPath, pixels: source.pixelsPerImage, inputLayer: layout.inputSize)
        }
        let examples = try source.load(range: 0..<min(limit ?? source.count, source.count))
        let counts = try Evaluator(examples: examples, model: model, kernels: kernels).confusionCounts(model: model)
        return TestResult(classCount: layout.outputSize, confusion: counts)
    }
}
