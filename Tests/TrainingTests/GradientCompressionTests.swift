import Foundation
import TestSupport
import Testing

/// --compression under mpirun on a subset of the real MNIST: PowerSGD trains with identical
/// parameters on every rank and resumes exactly; bf16 and powersgd against none. The 2-host
/// run over a 1 Gbit/s link is scripts/cluster/netns.sh --link-rate 1gbit in scripts/test.sh.
@Suite(.serialized) struct GradientCompressionTests {
    /// 6,000 training images: 30 steps an epoch at 2 ranks.
    private var small: [String] {
        ["train", "--data", MPIJob.mnistDirectory, "--train-limit", "6000", "--test-limit", "1000", "--eval-every", "0"]
    }

    private func temporary() throws -> String { try MPIJob.temporaryDirectory("compression") }

    private func parameters(_ folder: String, rank: Int) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: "\(folder)/rank-\(rank).f32"))
    }

    @Test func powerSGDKeepsRanksIdenticalAndLearns() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let compressed = try MPIJob.trainSummary(ranks: 2, Array(small.dropFirst()) + [
            "--epochs", "3", "--preset", "improved", "--compression", "powersgd", "--powersgd-warmup-steps", "10",
        ], environment: MPIJob.rankParametersHook(folder))
        #expect(try firstDifference(parameters(folder, rank: 0), parameters(folder, rank: 1)) == "identical")
        #expect((compressed["allreduce_method"] as? String)?.hasPrefix("PowerSGD rank 4") == true)
        // 7,794 floats + 3 control values a step instead of 269,325.
        #expect(compressed["exchanged_bytes_per_step"] as? Int == (7794 + 3) * 4)
        let plain = try MPIJob.trainSummary(ranks: 2, Array(small.dropFirst()) + ["--epochs", "3", "--preset", "improved"])
        let compressedAccuracy = try #require(compressed["test_accuracy"] as? Double)
        let plainAccuracy = try #require(plain["test_accuracy"] as? Double)
        #expect(compressedAccuracy > 0.85, "PowerSGD reached \(compressedAccuracy)")
        #expect(compressedAccuracy > plainAccuracy - 0.03, "PowerSGD \(compressedAccuracy), uncompressed \(plainAccuracy)")
        // The default is --compression auto: on one node it keeps shared memory and says why.
        #expect(plain["compression"] as? String == "none")
        #expect(plain["compression_reason"] as? String == "one node: shared memory")
        #expect(plain["allreduce_method"] as? String == "shared-memory allreduce")
        #expect(compressed["compression"] as? String == "powersgd" && compressed["compression_reason"] as? String == "as asked")
    }

    /// The error feedback and Q travel in the checkpoint: 2 epochs, then resumed to 4, ends
    /// bit-identical to 4 in one go.
    @Test func powerSGDResumesBitIdentically() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = small + ["--compression", "powersgd", "--powersgd-warmup-steps", "10"]
        for name in ["whole", "parts"] {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(name)", withIntermediateDirectories: true)
        }
        let whole = try MPIJob.run(ranks: 2, arguments + ["--epochs", "4"], environment: MPIJob.rankParametersHook(folder + "/whole"))
        try #require(whole.status == 0, "\(whole.stderr)")
        let first = try MPIJob.run(ranks: 2, arguments + ["--epochs", "2", "--checkpoint", folder + "/ck"])
        try #require(first.status == 0, "\(first.stderr)")
        let resumed = try MPIJob.run(ranks: 2, arguments + [
            "--epochs", "4", "--checkpoint", folder + "/ck", "--resume",
            "--summary", folder + "/parts.json",
        ], environment: MPIJob.rankParametersHook(folder + "/parts"))
        try #require(resumed.status == 0, "\(resumed.stderr)")
        #expect(!resumed.stdout.contains("PowerSGD starts afresh"), "\(resumed.stdout)")
        // It really resumed (a run that ignored --resume would train 4 epochs and match too).
        #expect(resumed.stdout.contains("resuming from \(folder)/ck at epoch 2 step 0"), "\(resumed.stdout)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/parts.json")))
        #expect((summary as? [String: Any])?["epochs_run"] as? Int == 2)
        for rank in 0..<2 {
            #expect(try firstDifference(parameters(folder + "/whole", rank: rank), parameters(folder + "/parts", rank: rank)) == "identical", "rank \(rank)")
        }
        // Resumed at another PowerSGD rank, the state cannot be used: it says so and trains on.
        let other = try MPIJob.run(ranks: 2, arguments + [
            "--epochs", "3", "--checkpoint", folder + "/ck", "--resume", "--powersgd-rank", "2",
        ])
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stdout.contains("PowerSGD starts afresh"), "\(other.stdout)")
    }

    /// Every 16-bit wire format (the registry: bf16, fp16), through the plain and the overlapped
    /// sum without a type of its own: identical parameters on every rank, the same bits from
    /// both sums, and a resume from a checkpoint ends bit-identical to the run in one go.
    @Test(arguments: ["bf16", "fp16"]) func halfFloatWireResumesBitIdentically(format: String) throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = small + ["--compression", format, "--allreduce", "mpi"]
        let whole = try MPIJob.trainSummary(
            ranks: 2, Array(arguments.dropFirst()) + ["--epochs", "3"], environment: MPIJob.rankParametersHook(folder))
        #expect(whole["compression"] as? String == format)
        #expect((whole["allreduce_method"] as? String)?.hasSuffix("MPI_Allreduce") == true)
        #expect(whole["exchanged_bytes_per_step"] as? Int == 2 * 269_325, "16 bits a value")
        let wholeParameters = try parameters(folder, rank: 0)
        #expect(try firstDifference(wholeParameters, parameters(folder, rank: 1)) == "identical")
        let overlapped = try MPIJob.trainSummary(
            ranks: 2, Array(arguments.dropFirst()) + ["--epochs", "3", "--overlap"],
            environment: MPIJob.rankParametersHook(folder))
        #expect((overlapped["allreduce_method"] as? String)?.hasPrefix("overlapped") == true)
        #expect(try firstDifference(wholeParameters, parameters(folder, rank: 0)) == "identical", "overlapped buckets, same sums")
        let first = try MPIJob.run(ranks: 2, arguments + ["--epochs", "1", "--checkpoint", folder + "/ck"])
        try #require(first.status == 0, "\(first.stderr)")
        let resumed = try MPIJob.run(
            ranks: 2, arguments + ["--epochs", "3", "--checkpoint", folder + "/ck", "--resume"],
            environment: MPIJob.rankParametersHook(folder))
        try #require(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from \(folder)/ck at epoch 1 step 0"), "\(resumed.stdout)")
        #expect(try firstDifference(wholeParameters, parameters(folder, rank: 0)) == "identical")
    }

    /// Pairs the rule table refuses get its one line, whatever the wire format.
    @Test func invalidPairsGetOneLine() throws {
        for (arguments, expected) in [
            (["--compression", "fp16", "--allreduce", "shared-memory"], "--allreduce shared-memory: does not combine"),
            (["--compression", "fp16", "--deterministic", "--global-batch", "200"], "--deterministic: sums micro-batches"),
            (["--compression", "powersgd", "--overlap"], "--compression powersgd: does not combine with --overlap"),
        ] {
            let full = ["train", "--data", MPIJob.mnistDirectory] + arguments
            BadInputTests.expectOneLineFailure(try MPIJob.run(ranks: 2, full), full, mentioning: expected)
        }
    }
}
