import Foundation
import TestSupport
import Testing

/// `--target-accuracy`: the run ends at the first evaluation at or above the target, and says
/// how long it took; a target out of reach runs every epoch and says so.
@Suite(.serialized) struct TargetAccuracyTests {
    /// 12,000 training images on 2 ranks: 60 steps an epoch.
    private let small = ["--preset", "improved", "--data", MPIJob.mnistDirectory, "--train-limit", "12000",
                         "--test-limit", "2000", "--log-every", "1"]

    @Test func runStopsAtTheTargetAndReportsTheTime() throws {
        let summary = try MPIJob.trainSummary(
            ranks: 2, small + ["--epochs", "20", "--target-accuracy", "93", "--target-eval-steps", "15"])
        #expect(summary["target_reached"] as? Bool == true)
        #expect(summary["target_accuracy"] as? Double == 0.93, "98-style percentages are read as fractions")
        let accuracy = try #require(summary["test_accuracy"] as? Double)
        #expect(accuracy >= 0.93)
        let step = try #require(summary["target_step"] as? Int)
        #expect(step % 15 == 0 || step % 60 == 0, "evaluated every 15 steps or at an epoch end, met at \(step)")
        #expect(summary["steps"] as? Int == step)
        let epochsRun = try #require(summary["epochs_run"] as? Int)
        #expect(epochsRun < 20 && epochsRun == Int((Double(step) / 60).rounded(.up)), "stopped in the epoch it met the target")
        let fromLaunch = try #require(summary["time_to_target_seconds"] as? Double)
        let fromFirstStep = try #require(summary["time_to_target_training_seconds"] as? Double)
        #expect(fromFirstStep > 0 && fromLaunch > fromFirstStep, "launch \(fromLaunch) s, first step \(fromFirstStep) s")
        let evaluations = try #require(summary["target_evaluations"] as? Int)
        #expect(evaluations >= 1 && evaluations <= step / 15 + epochsRun)
        #expect(summary["target_eval_interval_steps"] as? Int == 15)
    }

    @Test func unreachableTargetRunsEveryEpochAndSaysSo() throws {
        let directory = try MPIJob.temporaryDirectory("target")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outcome = try MPIJob.run(ranks: 2, ["train"] + small + [
            "--epochs", "2", "--target-accuracy", "0.999", "--summary", directory + "/s.json",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("target 99.90% not reached in 2 epochs (best"), "\(outcome.stdout)")
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/s.json"))) as? [String: Any])
        #expect(summary["target_reached"] as? Bool == false)
        #expect(summary["epochs_run"] as? Int == 2)
        #expect(summary["time_to_target_seconds"] == nil)
        // Measured interval: evaluation within a tenth of the time after epoch 0.
        let interval = try #require(summary["target_eval_interval_steps"] as? Int)
        #expect((1...60).contains(interval))
    }

    @Test func targetOptionsAreChecked() throws {
        for (arguments, expected) in [
            (["--target-accuracy", "0"], "--target-accuracy"),
            (["--target-accuracy", "101"], "--target-accuracy"),
            (["--target-eval-steps", "5"], "needs --target-accuracy"),
            (["--target-accuracy", "0.9", "--target-eval-steps", "0"], "--target-eval-steps"),
        ] {
            let full = ["train", "--data", MPIJob.mnistDirectory] + arguments
            BadInputTests.expectOneLineFailure(try MPIJob.run(ranks: 2, full), full, mentioning: expected)
        }
    }
}
