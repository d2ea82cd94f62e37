import ArgumentParser

/// The root command: `mnist-mpi train` (the default) and `mnist-mpi selftest`.
struct MnistMpi: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist-mpi",
        abstract: "Data-parallel neural-network training on MNIST over MPI.",
        discussion: "Run under mpirun, e.g.: mpirun -np 2 mnist-mpi train --preset seed",
        subcommands: [Train.self, ElasticCommand.self, SettingsCommand.self, Evaluate.self, Export.self, Predict.self, SelfTest.self, Bench.self],
        defaultSubcommand: Train.self)
}
