import Foundation
import TestSupport
import Testing

/// Every bad input ends every rank within 10 s with one line on stderr and a non-zero exit.
@Suite(.serialized) struct BadInputTests {
    /// A folder with a small valid train and test split, to break one piece at a time.
    private func dataFolder(trainCount: Int = 400) throws -> IDXFixtures {
        let fixtures = try IDXFixtures()
        try fixtures.writeTrainSplit(count: trainCount)
        try fixtures.writeTestSplit(count: 50)
        return fixtures
    }

    private func expectOneLineFailure(
        ranks: Int = 2, _ arguments: [String], mentioning expected: String, user: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let outcome = try MPIJob.run(ranks: ranks, arguments, timeout: 30, user: user)
        BadInputTests.expectOneLineFailure(outcome, arguments, mentioning: expected, sourceLocation: sourceLocation)
    }

    /// The bad-input contract: ended within 10 s, non-zero exit, exactly one stderr line
    /// `error: ...` that names `expected`. Also tallied for scripts/test.sh.
    static func expectOneLineFailure(
        _ outcome: MPIJob.Outcome, _ arguments: [String], mentioning expected: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let line = String(outcome.errorLines.first ?? "")
        let held = !outcome.timedOut && outcome.seconds < 10 && outcome.status != 0
            && outcome.errorLines.count == 1 && line.hasPrefix("error: ") && line.contains(expected)
        BadInputTally.record(arguments.joined(separator: " "), held: held)
        #expect(!outcome.timedOut, "hung: \(arguments)", sourceLocation: sourceLocation)
        #expect(outcome.seconds < 10, "took \(outcome.seconds) s", sourceLocation: sourceLocation)
        #expect(outcome.status != 0, "exit 0 for \(arguments)", sourceLocation: sourceLocation)
        #expect(outcome.errorLines.count == 1, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(line.hasPrefix("error: "), "\(line)", sourceLocation: sourceLocation)
        #expect(line.contains(expected), "\(line) lacks \(expected)", sourceLocation: sourceLocation)
    }

    @Test func validDataFolderTrains() throws {
        // The control for the cases below: the same folder, unbroken, trains.
        let data = try dataFolder()
        defer { data.remove() }
        let outcome = try MPIJob.run(ranks: 2, ["train", "--data", data.directory, "--epochs", "1", "--batch-size", "20"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty)
    }

    @Test func missingDataFolder() throws {
        try expectOneLineFailure(["train", "--data", "/no/such/mnist"], mentioning: "/no/such/mnist")
    }

    @Test func missingFile() throws {
        let data = try dataFolder()
        defer { data.remove() }
        try FileManager.default.removeItem(atPath: data.path("t10k-labels-idx1-ubyte"))
        try expectOneLineFailure(["train", "--data", data.directory], mentioning: "t10k-labels-idx1-ubyte")
    }

    @Test func badMagicNumber() throws {
        let data = try dataFolder()
        defer { data.remove() }
        try data.write("train-labels-idx1-ubyte", IDXFixtures.idx(dimensions: [400], data: [UInt8](repeating: 1, count: 400), magic: 0x0000_0901))
        try expectOneLineFailure(["train", "--data", data.directory], mentioning: "magic number")
    }

    @Test func truncatedFile() throws {
        let data = try dataFolder()
        defer { data.remove() }
        try data.write("train-images-idx3-ubyte", Array(IDXFixtures.images(count: 400).dropLast(1000)))
        try expectOneLineFailure(["train", "--data", data.directory], mentioning: "truncated")
    }

    @Test func labelCountDiffers() throws {
        let data = try dataFolder()
        defer { data.remove() }
        try data.write("train-labels-idx1-ubyte", IDXFixtures.labels(count: 399))
        try expectOneLineFailure(["train", "--data", data.directory], mentioning: "399 labels")
    }

    @Test func labelAboveNine() throws {
        let data = try dataFolder()
        defer { data.remove() }
        var labels = [UInt8](repeating: 3, count: 400)
        labels[350] = 10  // in the second rank's shard: rank 1 finds it and reports it
        try data.write("train-labels-idx1-ubyte", IDXFixtures.idx(dimensions: [400], data: labels))
        try expectOneLineFailure(["train", "--data", data.directory], mentioning: "label 10 at index 350")
    }

    @Test func imageSizeDiffersFromFirstLayer() throws {
        let data = try dataFolder()
        defer { data.remove() }
        try data.write("train-images-idx3-ubyte", IDXFixtures.images(count: 400, rows: 10, columns: 10))
        try expectOneLineFailure(["train", "--data", data.directory], mentioning: "100 pixels per image")
    }

    @Test func unwritableSummaryPath() throws {
        let data = try dataFolder()
        defer { data.remove() }
        try expectOneLineFailure(["train", "--data", data.directory, "--summary", "/no/such/dir/summary.json"],
                                 mentioning: "/no/such/dir/summary.json")
    }

    @Test func corruptGzip() throws {
        let data = try dataFolder()
        defer { data.remove() }
        try FileManager.default.removeItem(atPath: data.path("train-images-idx3-ubyte"))
        let path = try data.write("train-images-idx3-ubyte", IDXFixtures.images(count: 400), gzip: true)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for i in 40..<(bytes.count - 8) { bytes[i] ^= 0x3c }
        try bytes.write(to: URL(fileURLWithPath: path))
        try expectOneLineFailure(["train", "--data", data.directory], mentioning: "train-images-idx3-ubyte.gz")
    }

    @Test func folderWhereAFileIsExpected() throws {
        let data = try dataFolder()
        defer { data.remove() }
        try FileManager.default.removeItem(atPath: data.path("t10k-images-idx3-ubyte"))
        try FileManager.default.createDirectory(atPath: data.path("t10k-images-idx3-ubyte"), withIntermediateDirectories: false)
        try expectOneLineFailure(["train", "--data", data.directory], mentioning: "not a regular file")
    }

    @Test func unreadableFile() throws {
        let data = try dataFolder()
        defer { data.remove() }
        chmod(data.directory, 0o755)
        chmod(data.path("train-labels-idx1-ubyte"), 0o000)
        // Root reads any file, so as root the job runs as the unprivileged user nobody.
        let user = getuid() == 0 ? "65534" : nil  // nobody
        try expectOneLineFailure(["train", "--data", data.directory], mentioning: "cannot read", user: user)
    }

    @Test(arguments: ["--summary", "--metrics", "--checkpoint", "--timeline", "--tensorboard"])
    func unwritableOutputPaths(option: String) throws {
        let data = try dataFolder()
        defer { data.remove() }
        if option == "--tensorboard" {
            // A folder made as needed (as TensorFlow's writers do): it fails where a file is in the way.
            let blocked = data.path("train-labels-idx1-ubyte") + "/tb"
            try expectOneLineFailure(["train", "--data", data.directory, option, blocked], mentioning: blocked)
            return
        }
        try expectOneLineFailure(["train", "--data", data.directory, option, "/no/such/dir/out"], mentioning: "/no/such/dir/out")
        try expectOneLineFailure(["train", "--data", data.directory, option, data.directory], mentioning: "folder")
    }

    @Test func compressionOptionsRefused() throws {
        try expectOneLineFailure(["train", "--data", "/unused", "--compression", "powersgd", "--overlap"],
                                 mentioning: "--compression powersgd")
        try expectOneLineFailure(["train", "--data", "/unused", "--powersgd-rank", "0"], mentioning: "--powersgd-rank 0")
        try expectOneLineFailure(["train", "--data", "/unused", "--compression", "zip"], mentioning: "zip")
    }

    @Test func deterministicOptionsRefused() throws {
        try expectOneLineFailure(["train", "--data", "/unused", "--deterministic"], mentioning: "--deterministic: needs --global-batch")
        try expectOneLineFailure(["train", "--data", "/unused", "--deterministic", "--global-batch", "600", "--micro-batch", "7"],
                                 mentioning: "--micro-batch 7: must divide --global-batch 600")
        try expectOneLineFailure(["train", "--data", "/unused", "--micro-batch", "25"], mentioning: "goes with --deterministic")
        let deterministic = ["train", "--data", "/unused", "--deterministic", "--global-batch", "200"]
        try expectOneLineFailure(deterministic + ["--same-bits-on", "3"], mentioning: "--same-bits-on 3: the micro-batch count")
        try expectOneLineFailure(deterministic + ["--same-bits-on", "1,x"], mentioning: "--same-bits-on 1,x: needs comma-separated")
        try expectOneLineFailure(deterministic + ["--same-bits-on", "2", "--micro-batch", "50"], mentioning: "not both")
    }

    @Test func observabilityOptionsOutOfRange() throws {
        try expectOneLineFailure(["train", "--data", "/unused", "--timeline-steps", "0"], mentioning: "--timeline-steps 0")
        try expectOneLineFailure(["train", "--data", "/unused", "--tensorboard-every=-1"], mentioning: "--tensorboard-every -1")
    }

    @Test func sharedMemorySumWithOverlapIsRefused() throws {
        let data = try dataFolder()
        defer { data.remove() }
        try expectOneLineFailure(["train", "--data", data.directory, "--allreduce", "shared-memory", "--overlap"],
                                 mentioning: "--allreduce shared-memory")
    }

    @Test func globalBatchNotDivisibleByRanks() throws {
        try expectOneLineFailure(ranks: 3, ["train", "--data", "/unused", "--global-batch", "100"],
                                 mentioning: "--global-batch 100")
    }

    @Test func batchLargerThanShardAndMoreRanksThanBatches() throws {
        let data = try dataFolder(trainCount: 200)
        defer { data.remove() }
        try expectOneLineFailure(["train", "--data", data.directory, "--batch-size", "150"], mentioning: "--batch-size 150")
        try expectOneLineFailure(ranks: 3, ["train", "--data", data.directory, "--batch-size", "100"], mentioning: "3 ranks")
    }

    @Test(arguments: [
        (["--batch-size", "0"], "--batch-size"),
        (["--epochs", "0"], "--epochs"),
        (["--lr", "0"], "--lr"),
        (["--lr=-0.5"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "inf"], "--lr"),
        (["--hidden", "256,x"], "--hidden"),
        (["--hidden", "256,,10"], "--hidden"),
        (["--hidden", "0"], "--hidden"),
        (["--log-every", "0"], "--log-every"),
        (["--no-such-flag"], "--no-such-flag"),
        (["--activation", "swish"], "swish"),
        (["--optimizer", "lion"], "lion"),
        (["--dataset", "cifar"], "cifar"),
        (["--init", "uniform"], "uniform"),
        (["--beta1", "1"], "--beta1"),
        (["--beta2", "0"], "--beta2"),
        (["--weight-decay=-0.1"], "--weight-decay"),
        (["--momentum", "1.5"], "--momentum"),
        (["--init-std", "0"], "--init-std"),
        (["--global-batch", "0"], "--global-batch"),
        (["--lr-scaling", "cubic"], "cubic"),
        (["--lr-reference-batch", "0"], "--lr-reference-batch"),
        (["--trust-coefficient=-1"], "--trust-coefficient"),
        // Found by mnist-mpi-fuzz: values whose products overflowed and trapped.
        (["--epochs", "9223372036854775807"], "--epochs"),
        (["--warmup-epochs", "1e300"], "--warmup-epochs"),
        (["--hidden", "1048577"], "--hidden"),
        (["--stall-timeout=-1e300"], "--stall-timeout"),
        // Models that do not parse or do not fit 28x28x1 images and 10 classes.
        (["--model", "conv3x3"], "conv3x3"),
        (["--model", "resnet50"], "resnet50"),
        (["--model", "conv5x5x6,pool2,conv5x5x16,pool2,conv5x5x8,fc10"], "layer 5 (conv5x5x8)"),
        (["--model", "conv3x3x4,fc12"], "fc10"),
        (["--model", "fc100,conv3x3x4,fc10"], "follows a dense layer"),
        (["--model", "conv3x3x4,maxpool2"], "fcN"),
        (["--model", "lenet5", "--hidden", "128"], "--hidden"),
        (["--model", "lenet5", "--precision", "bf16", "--kernels", "openblas"], "--kernels onednn"),
    ])
    func badOptions(extra: [String], expected: String) throws {
        try expectOneLineFailure(["train", "--data", "/unused"] + extra, mentioning: expected)
    }
}
