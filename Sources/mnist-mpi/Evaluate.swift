import ArgumentParser
import Foundation
import Training

/// `mnist-mpi evaluate`: the test accuracy and confusion matrix of a checkpoint (one process).
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint's model on the test set (one process, no mpirun needed).")

    @Option(help: "A checkpoint written by `mnist-mpi train --checkpoint`.")
    var checkpoint: String

    @Option(help: "Data set: mnist or fashion-mnist (for the folder default and class names).")
    var dataset: Dataset = .mnist

    @Option(help: "Folder with the test files. (default: $MNIST_DIR or data/mnist; $FASHION_MNIST_DIR or data/fashion-mnist)")
    var data: String?

    @Option(help: "Evaluate on only the first N test examples. (default: all)")
    var testLimit: Int?

    func validate() throws {
        if let testLimit, testLimit < 1 { throw ValidationError("--test-limit \(testLimit): must be at least 1") }
    }

    func run() throws {
        let logger = Logger(isPrinting: true)
        do {
            let result = try CheckpointEvaluation.evaluate(
                checkpointPath: checkpoint, dataDirectory: data ?? Train.defaultDirectory(for: dataset),
                limit: testLimit)
            result.tableLines(classNames: dataset.classNames).forEach(logger.info)
            logger.info(String(format: "test accuracy %.2f%% (%d of %d)", result.accuracy * 100,
                               result.correct, result.total))
        } catch {
            Logger.error("\(error)")
            throw ExitCode.failure
        }
    }
}
