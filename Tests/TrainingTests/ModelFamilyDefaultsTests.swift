import Foundation
import TestSupport
import Testing

/// `--model` without `--preset`: a convolutional network starts from the `lenet5` preset's
/// training settings (the seed's sigmoid and N(0, 1) leave LeNet-5 at 95%), says so in its
/// first lines, and options and presets given still win; the multilayer perceptron keeps the
/// seed's settings.
@Suite(.serialized) struct ModelFamilyDefaultsTests {
    private var mnist: [String] { ["--data", MPIJob.mnistDirectory] }
    /// A slice that trains in a second: the settings, not the accuracy, are checked on it.
    private var slice: [String] { mnist + ["--train-limit", "1200", "--test-limit", "200", "--epochs", "1"] }

    private func settings(_ summary: [String: Any]) throws -> (preset: String, origin: String, activation: String, optimizer: String, rate: Double) {
        let configuration = try #require(summary["configuration"] as? [String: Any])
        let model = try #require(configuration["model"] as? [String: Any])
        let optimization = try #require(configuration["optimization"] as? [String: Any])
        let optimizer = try #require(optimization["optimizer"] as? [String: Any])
        return (
            try #require(configuration["preset"] as? String), try #require(configuration["preset_origin"] as? String),
            try #require(model["activation"] as? String), try #require(optimizer["kind"] as? String),
            try #require(optimization["learning_rate"] as? Double))
    }

    /// A convolutional `--model` (named or as a list) takes lenet5's settings, from `--model`.
    @Test(arguments: ["lenet5", "conv3x3x4p1,maxpool2,fc10"])
    func convolutionalModelTakesTheFamilySettings(model: String) throws {
        let summary = try MPIJob.trainSummary(ranks: 1, slice + ["--model", model])
        let chosen = try settings(summary)
        #expect(chosen.preset == "lenet5")
        #expect(chosen.origin == "--model")
        #expect(chosen.activation == "relu")
        #expect(chosen.optimizer == "adam")
        #expect(chosen.rate == 0.004)
    }

    /// The banner says where the settings came from and how to get the seed's, before any epoch.
    @Test func firstLinesSayWhereTheSettingsCameFrom() throws {
        let run = try MPIJob.run(ranks: 1, ["train"] + slice + ["--model", "lenet5"])
        try #require(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let firstEpoch = try #require(lines.firstIndex { $0.hasPrefix("epoch ") }, "\(run.stdout)")
        #expect(lines[0].contains("preset lenet5 (from --model)"), "\(lines[0])")
        let said = lines[..<firstEpoch].contains {
            $0.hasPrefix("defaults: --model lenet5 has convolutions") && $0.contains("--preset seed")
        }
        #expect(said, "\(run.stdout)")
    }

    /// Options and a named preset win over the family's settings; the multilayer perceptron,
    /// named or as dense layers only, keeps the seed's.
    @Test func givenOptionsAndPresetsWin() throws {
        let activation = try settings(MPIJob.trainSummary(ranks: 1, slice + ["--model", "lenet5", "--activation", "sigmoid"]))
        #expect(activation.activation == "sigmoid")
        #expect(activation.optimizer == "adam")
        let seed = try settings(MPIJob.trainSummary(ranks: 1, slice + ["--model", "lenet5", "--preset", "seed"]))
        #expect(seed.preset == "seed" && seed.origin == "--preset")
        #expect(seed.activation == "sigmoid" && seed.optimizer == "sgd" && seed.rate == 0.1)
        for model in ["mlp", "fc64,fc10"] {
            let dense = try settings(MPIJob.trainSummary(ranks: 1, slice + ["--model", model]))
            #expect(dense.preset == "seed" && dense.origin == "default", "\(model)")
            #expect(dense.activation == "sigmoid" && dense.optimizer == "sgd", "\(model)")
        }
    }

    /// The command as a new user types it: `mpirun -np 2 mnist-mpi train --model lenet5`
    /// on the whole of MNIST reaches 98.9% with its defaults (docs/models.md: 99.06% on an AMD
    /// EPYC Zen 4 in 7 s from launch).
    @Test func lenet5AloneReachesItsAccuracy() throws {
        let summary = try MPIJob.trainSummary(ranks: 2, mnist + ["--model", "lenet5"], timeout: 300)
        let accuracy = try #require(summary["test_accuracy"] as? Double)
        #expect(accuracy >= 0.989, "test accuracy \(accuracy)")
        #expect(summary["epochs"] as? Int == 3)
    }
}
