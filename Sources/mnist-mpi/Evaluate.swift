import ArgumentParser
import Foundation
import NeuralNet
import RunOutput
import MNISTData
import Training

/// `mnist-mpi evaluate`: the test accuracy and confusion matrix of a checkpoint (one process).
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint's model on the test set (one process, no mpirun needed).")

    @Option(help: "A checkpoint written by `mnist-mpi train --checkpoint`.")
    var checkpoint: String

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "Matrix-product kernels: auto (oneDNN where it loads), openblas or onednn.")
    var kernels: KernelChoice = .auto

    @Option(help: "fp32, or bf16 as a --precision bf16 run evaluated itself. (default: fp32)")
    var precision: Precision = .fp32

    @Option(help: "Also write the evaluated images' logits here: [N, classes] little-endian float32, row-major (to compare exported models with).")
    var saveLogits: String?

    func validate() throws {
        if let testLimit = dataOptions.testLimit, testLimit < 1 {
            throw ValidationError("--test-limit \(testLimit): must be at least 1")
        }
    }

    func run() throws {
        let logger = Logger(isPrinting: true)
        do {
            let chosenKernels = try ComputeKernels.resolve(library: kernels.library, precision: precision)
            let classifier = try CheckpointClassifier(checkpointPath: checkpoint, kernels: chosenKernels)
            let result = try CheckpointEvaluation.evaluate(
                classifier.model, dataDirectory: dataOptions.directory, limit: dataOptions.testLimit, kernels: chosenKernels)
            if let saveLogits { try writeLogits(of: classifier, to: saveLogits, count: Int(result.total)) }
            result.tableLines(classNames: dataOptions.chosenDataset.classNames).forEach(logger.info)
            logger.info(String(format: "test accuracy %.2f%% (%d of %d)", result.accuracy * 100,
                               result.correct, result.total))
        } catch {
            Logger.error("\(error)")
            throw ExitCode.failure
        }
    }

    /// The logits of the first `count` test images, as raw float32.
    private func writeLogits(of classifier: CheckpointClassifier, to path: String, count: Int) throws {
        let examples = try MNISTSource(directory: dataOptions.directory, split: .test).load(range: 0..<count)
        let logits = try classifier.logits(pixels: examples.pixels, rows: count)
        let data = logits.withUnsafeBufferPointer { Data(buffer: $0) }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ValidationError("cannot write --save-logits \(path): \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
        }
    }
}
