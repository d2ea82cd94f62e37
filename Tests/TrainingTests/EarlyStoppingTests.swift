import Foundation
import TestSupport
import Testing

/// `--early-stop-patience N`: the run ends at the first evaluation that makes N in a row
/// without a better test accuracy; its last evaluation is the result and a checkpoint is
/// written where it stopped. The expected stop is computed from the run's own metrics file.
@Suite(.serialized) struct EarlyStoppingTests {
    /// 6,000 training images on 2 ranks (30 steps an epoch): Adam overfits them within a few
    /// epochs, so the test accuracy stops improving well before 40 epochs.
    private let small = ["--preset", "improved", "--data", MPIJob.mnistDirectory, "--train-limit", "6000",
                         "--test-limit", "2000", "--eval-every", "1", "--epochs", "40"]

    @Test(arguments: [1, 2, 3]) func runStopsAfterPatienceEvaluationsWithoutImprovement(patience: Int) throws {
        let directory = try MPIJob.temporaryDirectory("early-stop")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outcome = try MPIJob.run(ranks: 2, ["train"] + small + [
            "--early-stop-patience", "\(patience)", "--metrics", directory + "/m.jsonl", "--summary", directory + "/s.json",
            "--checkpoint", directory + "/ck",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let accuracies = try String(contentsOfFile: directory + "/m.jsonl", encoding: .utf8)
            .split(separator: "\n")
            .map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            .map { try #require($0["test_accuracy"] as? Double) }
        // Where the rule says the run ends, from the accuracies it logged.
        var best = -1.0, without = 0, expectedEpochs = 40
        for (epoch, accuracy) in accuracies.enumerated() {
            if accuracy > best { best = accuracy; without = 0 } else { without += 1 }
            if without >= patience { expectedEpochs = epoch + 1; break }
        }
        #expect(expectedEpochs < 40, "the small set plateaus within 40 epochs: \(accuracies)")
        #expect(accuracies.count == expectedEpochs, "ran \(accuracies.count) epochs, the rule stops after \(expectedEpochs): \(accuracies)")
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/s.json"))) as? [String: Any])
        #expect(summary["epochs_run"] as? Int == expectedEpochs)
        #expect(summary["test_accuracy"] as? Double == accuracies.last, "the last evaluation is the result")
        #expect(outcome.stdout.contains("early stop at epoch \(expectedEpochs - 1) step 30"), "\(outcome.stdout)")
        // The checkpoint is where it stopped: a resume with the same limit continues from there.
        let resumed = try MPIJob.run(ranks: 2, ["train"] + small + [
            "--checkpoint", directory + "/ck", "--resume", "--epochs", "\(expectedEpochs + 1)",
        ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from \(directory)/ck at epoch \(expectedEpochs) step 0"), "\(resumed.stdout)")
    }

    @Test func withoutPatienceEveryEpochRuns() throws {
        let summary = try MPIJob.trainSummary(ranks: 2, small + ["--epochs", "6", "--lr", "1e-9"])
        #expect(summary["epochs_run"] as? Int == 6, "a flat accuracy stops nothing without the option")
    }

    @Test func aFlatAccuracyStopsAtOnce() throws {
        // At a learning rate of 1e-9 no prediction changes: the second evaluation is no better.
        let summary = try MPIJob.trainSummary(ranks: 2, small + ["--epochs", "6", "--lr", "1e-9", "--early-stop-patience", "1"])
        #expect(summary["epochs_run"] as? Int == 2)
    }

    @Test func patienceOptionIsChecked() throws {
        for (arguments, expected) in [
            (["--early-stop-patience", "0"], "--early-stop-patience 0"),
            (["--early-stop-patience", "2", "--eval-every", "0"], "needs evaluations during training"),
        ] {
            let full = ["train", "--data", MPIJob.mnistDirectory] + arguments
            BadInputTests.expectOneLineFailure(try MPIJob.run(ranks: 2, full), full, mentioning: expected)
        }
    }
}
