import ArgumentParser
import Foundation
import MNISTData
import Training

/// The data options `train` and `evaluate` share.
struct DataOptions: ParsableArguments {
    @Option(name: name(Settings.dataset), help: help(Settings.dataset))
    var dataset: Dataset?

    @Option(name: name(Settings.dataDirectory), help: help(Settings.dataDirectory))
    var data: String?

    @Option(name: name(Settings.testLimit), help: help(Settings.testLimit))
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
