import Foundation
import TestSupport
import Testing
import Training

/// `mnist-mpi elastic` on this machine with the real mpirun, and the rule that a checkpoint is
/// never replaced silently.
@Suite(.serialized) struct ElasticJobTests {
    /// 6,000 training images, global batch 200: 30 steps an epoch, ~0.05 s an epoch.
    private var small: [String] {
        ["--data", MPIJob.mnistDirectory, "--train-limit", "6000", "--test-limit", "1000", "--eval-every", "0",
         "--global-batch", "200", "--log-every", "1000"]
    }

    private func temporary() throws -> String { try MPIJob.temporaryDirectory("elastic") }

    private func summary(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// The ranks of a job (processes whose first word is the binary, launched as `train`;
    /// the supervisor starts it by its resolved path)
    /// that write `checkpoint`.
    private func rankPIDs(checkpoint: String) -> [Int32] {
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pgrep.arguments = ["pgrep", "-f", "^[^ ]*mnist-mpi train .*\(checkpoint)"]
        let pipe = Pipe()
        pgrep.standardOutput = pipe
        guard (try? pgrep.run()) != nil else { return [] }
        pgrep.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").compactMap { Int32($0) }
    }

    /// kill -9 of one rank at step >= 100: relaunched from the newest checkpoint (at most K = 7
    /// steps redone), finishes, and ends with the bits of a run that was never killed; for the
    /// multilayer perceptron and for a convolutional model (both layer kinds, both poolings).
    @Test(arguments: [[], ["--model", "conv3x3x4p1,maxpool2,conv3x3x8,avgpool2,fc32,fc10", "--activation", "relu", "--init", "he"]])
    func aKilledRankIsRelaunchedAndTheRunEndsAsIfNothingHappened(model: [String]) throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = folder + "/ck"
        let small = self.small + model
        let train = small + ["--epochs", "40", "--checkpoint", checkpoint, "--checkpoint-every-steps", "7",
                             "--summary", folder + "/elastic.json"]
        let job = try MPIJob.startAlone(["elastic", "--hosts", "localhost:2", "--"] + train)
        let deadline = Date().addingTimeInterval(60)
        while (ProgressMarker.read(checkpoint: checkpoint) ?? 0) < 100, Date() < deadline, job.process.isRunning {
            usleep(10_000)
        }
        let ranks = rankPIDs(checkpoint: checkpoint)
        try #require(ranks.count == 2, "rank pids: \(ranks)")
        kill(ranks[1], SIGKILL)
        let outcome = job.wait(timeout: 120)
        try #require(outcome.status == 0, "\(outcome.stdout)\n\(outcome.stderr)")
        #expect(outcome.stdout.contains("elastic: restart 1 (rank failed)"), "\(outcome.stdout)")
        let elastic = try summary(folder + "/elastic.json")
        let restarts = try #require(elastic["restarts"] as? [[String: Any]])
        try #require(restarts.count == 1, "\(restarts)")
        let redone = try #require(restarts[0]["steps_redone"] as? Int)
        #expect((0...7).contains(redone), "\(restarts[0])")
        let recovery = try #require(restarts[0]["first_step_at"] as? Double) - (restarts[0]["ended_at"] as? Double ?? 0)
        #expect(recovery > 0 && recovery < 10, "recovery \(recovery) s")

        let whole = try MPIJob.run(ranks: 2, ["train"] + small + ["--epochs", "40", "--summary", folder + "/whole.json"],
                                   timeout: 120)
        try #require(whole.status == 0, "\(whole.stderr)")
        #expect(try summary(folder + "/whole.json")["parameter_fingerprint"] as? String
                == elastic["parameter_fingerprint"] as? String)
    }

    /// Failures that would repeat are not relaunched forever: bad options end at the first
    /// launch, a divergence at the same step ends after its second retry; one line says why.
    @Test func failuresThatRepeatEndTheSupervisor() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bad = try MPIJob.startAlone(["elastic", "--hosts", "localhost:2", "--", "--data", folder + "/none",
                                         "--checkpoint", folder + "/a"]).wait(timeout: 60)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("data folder \(folder)/none does not exist"), "\(bad.stderr)")
        #expect(bad.stderr.contains("elastic: the job ended (exit 1) before its first step"), "\(bad.stderr)")
        #expect(bad.stdout.components(separatedBy: "elastic: launching").count == 2, "\(bad.stdout)")

        let diverging = try MPIJob.startAlone(["elastic", "--hosts", "localhost:2", "--"] + small
            + ["--lr", "1e6", "--activation", "relu", "--checkpoint", folder + "/b", "--checkpoint-every-steps", "1"])
            .wait(timeout: 60)
        #expect(diverging.status != 0)
        #expect(diverging.stderr.contains("elastic: the job failed 3 times in a row at step"), "\(diverging.stderr)")
        #expect(diverging.stdout.components(separatedBy: "elastic: launching").count == 4, "\(diverging.stdout)")
        #expect(try RestartHistory.read(path: folder + "/b.restarts.json").count == 2)
    }

    /// A run that is not told --resume refuses an existing checkpoint with one line (it holds
    /// progress); --auto-resume continues it, --overwrite-checkpoint replaces it.
    @Test func anExistingCheckpointIsNeverReplacedSilently() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/ck"
        let train = ["train"] + small + ["--checkpoint", path]
        let first = try MPIJob.run(ranks: 2, train + ["--epochs", "1"])
        try #require(first.status == 0, "\(first.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let again = train + ["--epochs", "2"]
        let refused = try MPIJob.run(ranks: 2, again, timeout: 30)
        BadInputTests.expectOneLineFailure(refused, again, mentioning: "exists already (epoch 1 step 0")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let continued = try MPIJob.run(ranks: 2, again + ["--auto-resume"])
        #expect(continued.status == 0 && continued.stdout.contains("resuming from \(path) at epoch 1"), "\(continued.stdout)")
        let replaced = try MPIJob.run(ranks: 2, again + ["--overwrite-checkpoint"])
        #expect(replaced.status == 0 && !replaced.stdout.contains("resuming"), "\(replaced.stderr)")
        let fresh = try MPIJob.run(ranks: 2, ["train"] + small + ["--epochs", "1", "--checkpoint", folder + "/new", "--auto-resume"])
        #expect(fresh.status == 0 && !fresh.stdout.contains("resuming"), "\(fresh.stderr)")
    }
}
