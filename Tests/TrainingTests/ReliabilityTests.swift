import Foundation
import NeuralNet
import TestSupport
import Testing
import Training

/// Checkpoints, exact resume, killed ranks, signals, non-finite values and parameter drift,
/// under mpirun on a subset of the real MNIST.
@Suite(.serialized) struct ReliabilityTests {
    /// 6,000 training images: 30 steps an epoch at 2 ranks, ~0.05 s an epoch.
    private var small: [String] {
        ["train", "--data", MPIJob.mnistDirectory, "--train-limit", "6000", "--test-limit", "1000", "--eval-every", "0"]
    }

    private func temporary() throws -> String { try MPIJob.temporaryDirectory("reliability") }

    private func parameters(_ directory: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: directory + "/rank-0.f32"))
    }

    private func waitForFile(_ path: String, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(20_000)
        }
        return false
    }

    /// Waits until the file at `path` is replaced (its modification date passes `date`): a
    /// resumed run has written its first checkpoint.
    private func waitForReplacement(_ path: String, after date: Date?, timeout: Double = 60) -> Bool {
        guard let date else { return waitForFile(path, timeout: timeout) }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if let modified, modified > date { return true }
            usleep(20_000)
        }
        return false
    }

    /// Adam (state in the checkpoint) without decay: 2 epochs, then resumed to 4, ends
    /// bit-identical to 4 epochs in one go, with the same final cost and accuracy.
    @Test func resumeAtAnEpochBoundaryIsBitIdentical() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = small + ["--preset", "improved", "--lr-decay", "none"]
        try FileManager.default.createDirectory(atPath: folder + "/whole", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/parts", withIntermediateDirectories: true)
        let whole = try MPIJob.run(ranks: 2, arguments + ["--epochs", "4",
                                                          "--summary", folder + "/whole.json"], environment: MPIJob.rankParametersHook(folder + "/whole"))
        try #require(whole.status == 0, "\(whole.stderr)")
        let first = try MPIJob.run(ranks: 2, arguments + ["--epochs", "2", "--checkpoint", folder + "/ck"])
        try #require(first.status == 0, "\(first.stderr)")
        let second = try MPIJob.run(ranks: 2, arguments + ["--epochs", "4", "--checkpoint", folder + "/ck", "--resume",
                                                           "--summary", folder + "/parts.json"], environment: MPIJob.rankParametersHook(folder + "/parts"))
        try #require(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("resuming from \(folder)/ck at epoch 2 step 0"))
        #expect(try firstDifference(parameters(folder + "/whole"), parameters(folder + "/parts")) == "identical")
        let summaries = try ["whole", "parts"].map {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/\($0).json"))) as? [String: Any]
        }
        #expect(summaries[0]?["final_cost"] as? Double == summaries[1]?["final_cost"] as? Double)
        #expect(summaries[0]?["test_accuracy"] as? Double == summaries[1]?["test_accuracy"] as? Double)
        #expect(summaries[1]?["epochs_run"] as? Int == 2)
    }

    /// A resume says what it changes: a `.refuse` setting (the data set) ends every rank with one
    /// line and leaves the checkpoint as it was; `.warn` settings (the rate, the precision of
    /// the wire, the rank count) are named in the resume line; an unchanged resume names none.
    @Test func resumeRefusesOrNamesEveryChangedSetting() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try MPIJob.run(ranks: 2, small + ["--epochs", "1", "--checkpoint", folder + "/ck"])
        try #require(first.status == 0, "\(first.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/ck"))
        let refused = small + ["--epochs", "2", "--checkpoint", folder + "/ck", "--resume", "--dataset", "fashion-mnist"]
        let outcome = try MPIJob.run(ranks: 2, refused, timeout: 30)
        BadInputTests.expectOneLineFailure(outcome, refused, mentioning: "--dataset mnist -> fashion-mnist")
        #expect(try firstDifference(Data(contentsOf: URL(fileURLWithPath: folder + "/ck")), before) == "identical")
        let warned = try MPIJob.run(ranks: 3, small + [
            "--epochs", "2", "--checkpoint", folder + "/ck", "--resume", "--lr", "0.05", "--compression", "bf16",
        ])
        try #require(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stdout.contains("changed: --lr 0.1 -> 0.05, --compression auto -> bf16, ranks 2 -> 3"), "\(warned.stdout)")
        let same = try MPIJob.run(ranks: 3, small + [
            "--epochs", "3", "--checkpoint", folder + "/ck", "--resume", "--lr", "0.05", "--compression", "bf16",
        ])
        try #require(same.status == 0, "\(same.stderr)")
        #expect(same.stdout.contains("resuming from \(folder)/ck at epoch 2 step 0\n"), "\(same.stdout)")
    }

    /// SIGTERM to mpirun: the ranks stop together at a step boundary, write a checkpoint and
    /// exit non-zero within 10 s; resuming ends bit-identical to an uninterrupted run.
    @Test func sigtermStopsAtAStepAndResumesExactly() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = small + ["--epochs", "60"]
        try FileManager.default.createDirectory(atPath: folder + "/whole", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/parts", withIntermediateDirectories: true)
        let job = try MPIJob.start(ranks: 2, arguments + ["--checkpoint", folder + "/ck"])
        try #require(waitForFile(folder + "/ck"), "no checkpoint appeared")
        usleep(100_000)
        let signalled = Date()
        kill(job.pid, SIGTERM)
        let stopped = job.wait(timeout: 30)
        #expect(Date().timeIntervalSince(signalled) < 10)
        #expect(stopped.status != 0)
        // mpirun's own event library may add a "[warn] Epoll ..." line while it tears the job
        // down after a signal; the trainer's part is exactly one line.
        let trainerLines = stopped.errorLines.filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("[warn]") }
        #expect(trainerLines.count == 1, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("stopped by SIGTERM"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("checkpoint written"))

        let resumed = try MPIJob.run(ranks: 2, arguments + ["--checkpoint", folder + "/ck", "--resume"], timeout: 120, environment: MPIJob.rankParametersHook(folder + "/parts"))
        try #require(resumed.status == 0, "\(resumed.stderr)")
        let whole = try MPIJob.run(ranks: 2, arguments + [], timeout: 120, environment: MPIJob.rankParametersHook(folder + "/whole"))
        try #require(whole.status == 0, "\(whole.stderr)")
        #expect(try firstDifference(parameters(folder + "/whole"), parameters(folder + "/parts")) == "identical")
    }

    /// oneDNN's JIT matrix-product kernels point the stack pointer into a heap buffer while they
    /// run (uxlfoundation/oneDNN issue 4845), so a signal handled on the training thread writes its
    /// frame over the heap. A storm of SIGTERMs sent to every rank while it trains with oneDNN
    /// ends the job with the one stop line and a readable checkpoint, not glibc's heap-corruption
    /// abort or a segmentation fault; the training threads block both stop signals (with the
    /// handler on the training thread, the storm crashed 1 run of 4 and the mask check fails always).
    @Test(.enabled(if: OneDNN.isAvailable, "oneDNN (libdnnl.so.2) does not load here"))
    func signalStormDuringProductsCorruptsNothing() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let job = try MPIJob.start(ranks: 2, small + ["--epochs", "60", "--kernels", "onednn", "--checkpoint", folder + "/ck"])
        try #require(waitForFile(folder + "/ck"), "no checkpoint appeared")
        let ranks = job.rankPIDs()
        try #require(ranks.count == 2, "rank pids: \(ranks)")
        // The mechanism: each rank's main (training) thread blocks the stop signals and every
        // other asynchronous one (a profiler's, a timer's), but not a fault's.
        for rank in ranks {
            let status = try String(contentsOfFile: "/proc/\(rank)/status", encoding: .utf8)
            let line = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") } ?? ""
            let blocked = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
            for signal in [SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGPROF, SIGALRM, SIGCHLD, SIGHUP] {
                #expect(blocked & (1 << (signal - 1)) != 0, "rank \(rank)'s training thread takes signal \(signal): \(line)")
            }
            for signal in [SIGSEGV, SIGBUS, SIGFPE, SIGPIPE] {
                #expect(blocked & (1 << (signal - 1)) == 0, "rank \(rank)'s training thread blocks signal \(signal): \(line)")
            }
        }
        // Signals until both ranks are gone (at most 5 s): the last step's products take some.
        var sent = 0
        let started = Date()
        while Date().timeIntervalSince(started) < 5 {
            let alive = ranks.filter { kill($0, SIGTERM) == 0 }
            if alive.isEmpty { break }
            sent += alive.count
        }
        let stopped = job.wait(timeout: 30)
        #expect(!stopped.timedOut)
        #expect(sent > 100, "only \(sent) signals were sent before the ranks ended")
        #expect(stopped.status != 0)
        for crash in ["corrupted", "double free", "free():", "Segmentation", "Signal:", "Aborted"] {
            #expect(!stopped.stderr.contains(crash), "\(stopped.stderr)")
        }
        #expect(stopped.stderr.contains("stopped by SIGTERM"), "\(stopped.stderr)")
        let checkpoint = try CheckpointFile.read(path: folder + "/ck")
        #expect(checkpoint.header.nextEpoch >= 1)
    }

    /// SIGKILL to one rank mid-epoch: the job ends within 10 s with a non-zero exit and the
    /// last checkpoint is intact and resumable.
    @Test func killedRankEndsTheJobAndLeavesAResumableCheckpoint() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let job = try MPIJob.start(ranks: 2, small + ["--epochs", "100", "--checkpoint", folder + "/ck"])
        try #require(waitForFile(folder + "/ck"), "no checkpoint appeared")
        usleep(150_000)
        let ranks = job.rankPIDs()
        try #require(ranks.count == 2, "rank pids: \(ranks)")
        let killed = Date()
        kill(ranks[1], SIGKILL)
        let outcome = job.wait(timeout: 30)
        #expect(!outcome.timedOut)
        #expect(Date().timeIntervalSince(killed) < 10)
        #expect(outcome.status != 0)
        let resumed = try MPIJob.run(ranks: 2, small + ["--epochs", "100", "--checkpoint", folder + "/ck", "--resume",
                                                        "--log-every", "1000"], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from"))
    }

    /// The ranks killed (SIGKILL, as a node crash) at random instants while rank 0 writes a
    /// checkpoint every ~0.05 s, 20 times: what is left at the path is always a whole
    /// checkpoint (the old one or the new one: it decodes, checksum and all), never a torn one.
    @Test func killsDuringCheckpointWritesLeaveAWholeCheckpoint() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/ck"
        var generator = SystemRandomNumberGenerator()
        var epochsSeen = Set<Int>()
        for round in 0..<20 {
            // The kill comes after the run's own first checkpoint (a resumed run's start-up
            // takes longer than the delay below on a loaded machine).
            let previous = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            let job = try MPIJob.start(ranks: 2, small + ["--epochs", "1000", "--log-every", "1000", "--checkpoint", path]
                                                   + (round > 0 ? ["--resume"] : []))
            try #require(waitForReplacement(path, after: previous), "round \(round): no checkpoint appeared")
            usleep(UInt32.random(in: 150_000...600_000, using: &generator))
            for rank in job.rankPIDs() { kill(rank, SIGKILL) }
            let outcome = job.wait(timeout: 30)
            #expect(!outcome.timedOut)
            let checkpoint = try CheckpointFile.read(path: path)
            #expect(checkpoint.header.nextEpoch >= 1)
            epochsSeen.insert(checkpoint.header.nextEpoch)
        }
        // The kills landed at different points of the run (resumed each time, so it moves on).
        #expect(epochsSeen.count > 1)
    }

    /// A full disk at a checkpoint (a 256 KiB tmpfs, filled after the first checkpoint): every
    /// rank ends with one line, and the previous checkpoint is intact with nothing beside it;
    /// also when the failing write is a background one (`--checkpoint-every-steps`), reported
    /// at the next checkpoint. Needs root (mount).
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"), arguments: [[], ["--checkpoint-every-steps", "5"]])
    func fullDiskAtACheckpointKeepsThePreviousOne(interval: [String]) throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        mount.arguments = ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", folder]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "mount failed")
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            unmount.arguments = ["umount", folder]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        let path = folder + "/ck"
        let arguments = small + ["--hidden", "16", "--checkpoint", path]   // a 51 KB checkpoint
        let first = try MPIJob.run(ranks: 2, arguments + ["--epochs", "1"], timeout: 60)
        try #require(first.status == 0, "\(first.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // Leave 20 KiB free: the next checkpoint cannot be written.
        var stats = statvfs()
        try #require(statvfs(folder, &stats) == 0)
        let free = Int(stats.f_bavail) * Int(stats.f_frsize)
        try #require(FileManager.default.createFile(
            atPath: folder + "/filler", contents: Data(count: max(0, free - 20 * 1024))))
        let outcome = try MPIJob.run(ranks: 2, arguments + ["--epochs", "3", "--resume"] + interval, timeout: 60)
        #expect(!outcome.timedOut)
        #expect(outcome.status != 0)
        #expect(outcome.errorLines.count == 1, "stderr: \(outcome.stderr)")
        #expect(outcome.stderr.contains("No space left on device"), "\(outcome.stderr)")
        #expect(try firstDifference(Data(contentsOf: URL(fileURLWithPath: path)), before) == "identical")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["ck", "filler"])
    }

    /// Only rank 1's data folder is missing (a node without the shared file system): every
    /// rank ends within 10 s with one line naming that folder.
    @Test func oneRanksMissingDataEndsEveryRank() throws {
        let missing = try temporary() + "/no-such-mnist"
        let outcome = try MPIJob.runEach([small + ["--epochs", "1"], small.map { $0 == MPIJob.mnistDirectory ? missing : $0 } + ["--epochs", "1"]],
                                         timeout: 30)
        #expect(!outcome.timedOut)
        #expect(outcome.seconds < 10)
        #expect(outcome.status != 0)
        #expect(outcome.errorLines.count == 1, "stderr: \(outcome.stderr)")
        #expect(outcome.stderr.contains(missing), "\(outcome.stderr)")
    }

    /// A rank that stops (SIGSTOP: swapped out, stuck on I/O) would leave the other waiting in
    /// the allreduce forever; the stall watchdog ends the job within the timeout + 10 s with one
    /// line naming the step. The control: the same run unstopped finishes under that timeout.
    @Test func stalledRankEndsTheJobWithinTheTimeout() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = small + ["--epochs", "100", "--stall-timeout", "3", "--checkpoint", folder + "/ck"]
        let job = try MPIJob.start(ranks: 2, arguments)
        try #require(waitForFile(folder + "/ck"), "no checkpoint appeared")
        let ranks = job.rankPIDs()
        try #require(ranks.count == 2, "rank pids: \(ranks)")
        defer { kill(ranks[1], SIGCONT); kill(ranks[1], SIGKILL) }
        let stopped = Date()
        kill(ranks[1], SIGSTOP)
        let outcome = job.wait(timeout: 40)
        #expect(!outcome.timedOut)
        #expect(Date().timeIntervalSince(stopped) < 3 + 10)
        #expect(outcome.status != 0)
        #expect(outcome.errorLines.count == 1, "stderr: \(outcome.stderr)")
        let line = String(outcome.errorLines.first ?? "")
        #expect(line.hasPrefix("error: no progress for") && line.contains("--stall-timeout 3"), "\(line)")
        // Rank 0 waited and names the stopped rank from the node's arrival board.
        #expect(line.contains("rank 0 waited; not arrived on this node: rank 1 (not running"), "\(line)")
        let control = try MPIJob.run(ranks: 2, small + ["--epochs", "2", "--stall-timeout", "3"], timeout: 60)
        #expect(control.status == 0, "\(control.stderr)")
    }

    /// A failure one rank alone finds (injected after epoch 0) ends every rank through MPI_Abort
    /// with one line, even with the shared-memory exchange open and no stall watchdog: the
    /// failing rank must not wait in the window's collective MPI_Win_free for ranks that never
    /// come (they wait for it in the epoch's collective).
    @Test func loneFailureAbortsEveryRankWithoutWaitingInCollectiveCleanUp() throws {
        let arguments = small + [
            "--epochs", "3", "--allreduce", "shared-memory", "--stall-timeout", "0",
        ]
        let started = Date()
        let outcome = try MPIJob.run(ranks: 2, arguments, timeout: 30, environment: ["MNIST_MPI_TEST_HOOKS": "fail-rank=1"])
        #expect(!outcome.timedOut, "the job hung: \(outcome.stderr)")
        #expect(Date().timeIntervalSince(started) < 30)
        BadInputTests.expectOneLineFailure(outcome, arguments, mentioning: "rank 1: injected failure on rank 1 after epoch 0")
    }

    /// --lr 1e6: every rank stops at the same step with one line suggesting a lower rate, and
    /// the existing checkpoint is left untouched (nothing non-finite is written).
    @Test func nonFiniteCostStopsEveryRank() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = try MPIJob.run(ranks: 2, small + ["--epochs", "1", "--checkpoint", folder + "/ck"])
        try #require(good.status == 0, "\(good.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/ck"))
        // ReLU: with sigmoid the cost saturates at a finite ~5e7 instead.
        let arguments = small + ["--epochs", "3", "--lr", "1e6", "--activation", "relu", "--checkpoint", folder + "/ck",
                                 "--overwrite-checkpoint"]
        let outcome = try MPIJob.run(ranks: 2, arguments, timeout: 30)
        BadInputTests.expectOneLineFailure(outcome, arguments, mentioning: "lower --lr")
        #expect(outcome.stderr.contains("non-finite at epoch 0 step"))
        #expect(try firstDifference(Data(contentsOf: URL(fileURLWithPath: folder + "/ck")), before) == "identical")
    }

    /// A rank whose parameters drift (a testing-only nudge on rank 1) stops the job at the next
    /// check with one clear line.
    @Test func parameterDriftIsCaught() throws {
        let arguments = small + ["--epochs", "3"]
        let outcome = try MPIJob.run(ranks: 2, arguments, timeout: 30, environment: ["MNIST_MPI_TEST_HOOKS": "perturb-rank=1"])
        BadInputTests.expectOneLineFailure(outcome, arguments, mentioning: "parameters differ between ranks at epoch 0")
        // The control: the same run without the nudge passes the check.
        let control = try MPIJob.run(ranks: 2, small + ["--epochs", "1"], timeout: 30)
        #expect(control.status == 0, "\(control.stderr)")
    }

    /// `mnist-mpi evaluate` on a checkpoint reproduces the accuracy the training run reported,
    /// and a missing checkpoint is one line and exit 1.
    @Test func evaluateReproducesTheRunsAccuracy() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try MPIJob.run(ranks: 2, small + ["--epochs", "1", "--checkpoint", folder + "/ck",
                                                    "--summary", folder + "/summary.json"])
        try #require(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as? [String: Any])
        let correct = try #require(summary["test_correct"] as? Int)
        let evaluated = try MPIJob.runAlone(["evaluate", "--checkpoint", folder + "/ck", "--data", MPIJob.mnistDirectory,
                                             "--test-limit", "1000"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.contains("(\(correct) of 1000)"), "\(evaluated.stdout)")
        let missing = try MPIJob.runAlone(["evaluate", "--checkpoint", folder + "/none", "--data", MPIJob.mnistDirectory])
        #expect(missing.status == 1)
        #expect(missing.errorLines.count == 1 && missing.stderr.contains("no checkpoint at"), "\(missing.stderr)")
    }

    /// Bad checkpoints are refused with one line, and the file is not overwritten.
    @Test(arguments: ["truncated", "corrupt", "version", "architecture", "optimizer", "not-a-checkpoint", "missing", "folder"])
    func badCheckpointIsRefusedAndKept(kind: String) throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/ck"
        let good = try MPIJob.run(ranks: 2, small + ["--epochs", "1", "--checkpoint", path])
        try #require(good.status == 0, "\(good.stderr)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var extra: [String] = []
        let expected: String
        switch kind {
        case "truncated": bytes = bytes.prefix(bytes.count - 1000); expected = "corrupt"
        case "corrupt": bytes[bytes.count / 2] ^= 0x01; expected = "checksum"
        case "version": bytes[8] = 9; expected = "format version 9"
        case "architecture": extra = ["--hidden", "128"]; expected = "784-256-256-10 sigmoid model"
        case "optimizer": extra = ["--optimizer", "adam"]; expected = "+ sgd"
        case "not-a-checkpoint": bytes = Data("hello".utf8); expected = "not a mnist-mpi checkpoint"
        case "missing": try FileManager.default.removeItem(atPath: path); expected = "no checkpoint at"
        default:
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            expected = "folder"
        }
        if !["missing", "folder"].contains(kind) { try bytes.write(to: URL(fileURLWithPath: path)) }
        let arguments = small + ["--epochs", "2", "--checkpoint", path, "--resume"] + extra
        let outcome = try MPIJob.run(ranks: 2, arguments, timeout: 30)
        BadInputTests.expectOneLineFailure(outcome, arguments, mentioning: expected)
        if !["missing", "folder"].contains(kind) {
            #expect(try firstDifference(Data(contentsOf: URL(fileURLWithPath: path)), bytes) == "identical", "the failed run changed the checkpoint")
        }
    }

    @Test func resumeWithoutCheckpointIsRefused() throws {
        let arguments = small + ["--resume"]
        let outcome = try MPIJob.run(ranks: 2, arguments, timeout: 30)
        BadInputTests.expectOneLineFailure(outcome, arguments, mentioning: "--resume")
    }
}
