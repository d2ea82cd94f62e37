import ArgumentParser
import Foundation
import MPI
import Training

/// `mnist-mpi train`: parses the options into a `TrainingConfiguration` and runs the trainer.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the MLP data-parallel on all ranks; rank 0 logs and evaluates.")

    @Option(help: "Preset that sets the defaults below: seed (784-256-256-10 sigmoid, N(0,1), SGD 0.1, batch 100, 30 epochs).")
    var preset: Preset = .seed

    @Option(help: "Training epochs. (default: 30)")
    var epochs: Int?

    @Option(help: "Examples per rank per step; the global batch is ranks x this. (default: 100)")
    var batchSize: Int?

    @Option(help: "Learning rate. (default: 0.1)")
    var lr: Double?

    @Option(help: "Hidden layer widths, comma-separated. (default: 256,256)")
    var hidden: String?

    @Option(help: "Log the cost and test accuracy every K epochs (epochs 0, K, 2K, ...). (default: 3)")
    var logEvery: Int?

    @Option(help: "Random seed for initialisation and batch order. (default: 42)")
    var seed: UInt64?

    @Option(help: "Folder with the MNIST files. (default: $MNIST_DIR, else data/mnist)")
    var data: String?

    @Option(help: "Write the run summary (JSON) to this file (rank 0).")
    var summary: String?

    @Option(help: "Write one JSON line per epoch to this file (rank 0).")
    var metrics: String?

    @Option(help: "OpenBLAS threads per rank. (default: 1)")
    var blasThreads: Int?

    @Option(help: "Train on only the first N training examples. (default: all)")
    var trainLimit: Int?

    @Option(help: "Evaluate on only the first N test examples. (default: all)")
    var testLimit: Int?

    @Option(help: .hidden)
    var rankParametersDir: String?

    /// The effective configuration: the preset, then every option given.
    func makeConfiguration() throws -> TrainingConfiguration {
        var config = preset.configuration
        if let epochs { config.epochs = epochs }
        if let batchSize { config.batchSize = batchSize }
        if let lr { config.learningRate = lr }
        if let hidden { config.hiddenSizes = try Train.parseWidths(hidden) }
        if let logEvery { config.logEvery = logEvery }
        if let seed { config.seed = seed }
        config.dataDirectory = data ?? ProcessInfo.processInfo.environment["MNIST_DIR"] ?? "data/mnist"
        config.summaryPath = summary
        config.metricsPath = metrics
        if let blasThreads { config.blasThreads = blasThreads }
        config.trainLimit = trainLimit
        config.testLimit = testLimit
        config.rankParametersDirectory = rankParametersDir
        return config
    }

    func validate() throws {
        do {
            try makeConfiguration().validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let config = try makeConfiguration()
        try runUnderMPI { communicator in
            let logger = Logger(isPrinting: communicator.isRoot)
            _ = try DataParallelTrainer(
                configuration: config, communicator: communicator, logger: logger
            ).run()
        }
    }

    static func parseWidths(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, widths.count == parts.count, widths.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError(
                "--hidden \(text): needs comma-separated positive widths, e.g. 256,256")
        }
        return widths
    }
}

/// The named starting points of `--preset`.
enum Preset: String, ExpressibleByArgument, CaseIterable {
    case seed

    var configuration: TrainingConfiguration {
        switch self {
        case .seed: return .seed
        }
    }
}
