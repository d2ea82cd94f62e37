import ArgumentParser
import Foundation
import SwiftMPI
import NeuralNet
import RunOutput
import Training

/// `mnist-mpi train`: parses the options into a `TrainingConfiguration` and runs the trainer.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the model data-parallel on all ranks; rank 0 logs and evaluates.",
        discussion: """
            A preset sets the defaults; options given override them. Defaults are shown as \
            seed/improved where the presets differ. Without --preset, a --model with convolutions \
            or pooling (lenet5, or a list such as conv3x3x32p1,pool2,fc128,fc10) starts from the \
            lenet5 preset's training settings (ReLU, He init, Adam 0.004 with cosine decay, 3 \
            epochs), which suit convolutional networks; the banner says so. --preset seed trains \
            it with the original's sigmoid, N(0, 1) and SGD 0.1.
            """)

    @Option(help: "seed: the original (784-256-256-10 sigmoid, N(0,1), SGD 0.1, batch 100, 30 epochs); improved: ReLU, He init, Adam 0.001 with cosine decay, 15 epochs; lenet5: LeNet-5 (convolutions, max pooling), ReLU, He init, Adam 0.004 with cosine decay, 3 epochs. (default: seed; lenet5's training settings with a convolutional --model)")
    var preset: Preset?

    @OptionGroup var dataOptions: DataOptions

    @Option(name: name(Settings.trainLimit), help: help(Settings.trainLimit))
    var trainLimit: Int?

    @Option(name: name(Settings.augmentShift), help: help(Settings.augmentShift))
    var augmentShift: Int?

    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Optimization") var optimization: OptimizationOptions
    @OptionGroup(title: "Communication") var communication: CommunicationOptions
    @OptionGroup(title: "Compute") var compute: ComputeOptions
    @OptionGroup(title: "Logging and outputs") var reporting: ReportingOptions
    @OptionGroup(title: "Checkpoints and failures") var reliability: ReliabilityOptions

    /// The effective configuration: the preset, then every option given, group by group.
    func makeConfiguration() throws -> TrainingConfiguration {
        var config: TrainingConfiguration
        if let preset {
            config = preset.configuration
            config.presetOrigin = .named
        } else {
            config = .suited(to: try model.layers())
        }
        config.set(Settings.dataset, given: dataOptions.chosenDataset)
        config.set(Settings.dataDirectory, given: dataOptions.directory)
        config.set(Settings.testLimit, given: dataOptions.testLimit)
        config.set(Settings.trainLimit, given: trainLimit)
        config.set(Settings.augmentShift, given: augmentShift)
        try model.apply(to: &config)
        try optimization.apply(to: &config)
        communication.apply(to: &config)
        compute.apply(to: &config)
        reporting.apply(to: &config)
        reliability.apply(to: &config)
        return config
    }

    /// The test-only hooks (MNIST_MPI_TEST_HOOKS).
    func makeTestHooks() throws -> TestHooks {
        try TestHooks.fromEnvironment()
    }

    func validate() throws {
        do {
            try makeConfiguration().validate()
            _ = try makeTestHooks()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let config = try makeConfiguration()
        let hooks = try makeTestHooks()
        MPIRuntime.runJob(report: { Logger.error($0) }) { communicator in
            // Under mpirun a rank's stdout is a pseudo-terminal even when mpirun's output goes
            // to a file, so auto draws only in a run without mpirun; scripts/train.sh passes
            // always when a terminal watches it.
            // Open MPI's mpirun, MPICH's hydra and Slurm's srun each leave their mark.
            let environment = ProcessInfo.processInfo.environment
            let underLauncher = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_PROCID"]
                .contains { environment[$0] != nil }
            let progress = config.reporting.progress
            let live = progress == .always
                || (progress == .auto && !underLauncher && Logger.stdoutIsTerminal)
            let logger = Logger(isPrinting: communicator.isRoot, showsLiveLine: live)
            _ = try DataParallelTrainer(
                configuration: config, communicator: communicator, logger: logger, testHooks: hooks
            ).run()
        }
    }
}
