import ArgumentParser
import Foundation
import MNISTData
import Training

/// The data options `train` and `evaluate` share.
struct DataOptions: ParsableArguments {
    @Option(help: "Data set: mnist or fashion-mnist. (default: mnist)")
    var dataset: Dataset?

    @Option(help: "Folder with the data set's IDX files. (default: $MNIST_DIR or data/mnist; $FASHION_MNIST_DIR or data/fashion-mnist)")
    var data: String?

    @Option(help: "Evaluate on only the first N test examples. (default: all)")
    var testLimit: Int?

    /// The data set asked for, MNIST by default.
    var chosenDataset: Dataset { dataset ?? .mnist }

    /// `--data`, else the data set's environment variable, else its folder under data/.
    var directory: String { data ?? DataOptions.defaultDirectory(of: chosenDataset) }

    /// The data set's environment variable, else its folder under data/.
    static func defaultDirectory(of dataset: Dataset) -> String {
        let variable = dataset == .mnist ? "MNIST_DIR" : "FASHION_MNIST_DIR"
        return ProcessInfo.processInfo.environment[variable] ?? dataset.defaultDirectory
    }
}
