import Foundation
import TestSupport
import Testing

/// `--deterministic` under mpirun: the same bits on any rank count that divides the
/// micro-batch count, also across a resume onto another rank count.
@Suite(.serialized) struct DeterministicTests {
    /// 6,000 images, G = 600 in 24 micro-batches of 25: 10 steps an epoch.
    private let arguments = [
        "train", "--data", MPIJob.mnistDirectory, "--train-limit", "6000", "--test-limit", "1000", "--eval-every", "0",
        "--global-batch", "600", "--deterministic",
    ]

    private func bytes(_ folder: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: folder + "/rank-0.f32"))
    }

    /// 1, 2, 3 and 4 ranks end with byte-identical parameters (a single flipped bit fails the
    /// byte compare) and print the same fingerprint.
    @Test func oneToFourRanksEndBitIdentical() throws {
        let folder = try MPIJob.temporaryDirectory("deterministic")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var results: [(ranks: Int, parameters: Data, fingerprint: String)] = []
        for ranks in 1...4 {
            let directory = "\(folder)/np\(ranks)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let run = try MPIJob.run(ranks: ranks, arguments + ["--epochs", "2"], timeout: 120, environment: MPIJob.rankParametersHook(directory))
            try #require(run.status == 0, "\(ranks) ranks: \(run.stderr)")
            #expect(run.stdout.contains("deterministic (24 micro-batches of 25"), "\(run.stdout)")
            let fingerprint = run.stdout.split(separator: "\n").first { $0.hasPrefix("parameter fingerprint ") }
            results.append((ranks, try bytes(directory), String(fingerprint ?? "none")))
        }
        for result in results.dropFirst() {
            #expect(firstDifference(result.parameters, results[0].parameters) == "identical", "\(result.ranks) ranks against 1")
            #expect(result.fingerprint == results[0].fingerprint)
        }
        #expect(results[0].fingerprint.count == "parameter fingerprint ".count + 16)
    }

    /// 2 ranks for 2 epochs, resumed on 3 ranks to 4 epochs, equals 1 rank for 4 epochs.
    @Test func resumeOntoAnotherRankCountIsBitIdentical() throws {
        let folder = try MPIJob.temporaryDirectory("deterministic-resume")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["whole", "parts"] {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(name)", withIntermediateDirectories: true)
        }
        let whole = try MPIJob.run(ranks: 1, arguments + ["--epochs", "4"], timeout: 120, environment: MPIJob.rankParametersHook(folder + "/whole"))
        try #require(whole.status == 0, "\(whole.stderr)")
        let first = try MPIJob.run(ranks: 2, arguments + ["--epochs", "2", "--checkpoint", folder + "/ck"], timeout: 120)
        try #require(first.status == 0, "\(first.stderr)")
        let resumed = try MPIJob.run(ranks: 3, arguments + [
            "--epochs", "4", "--checkpoint", folder + "/ck", "--resume",
        ], timeout: 120, environment: MPIJob.rankParametersHook(folder + "/parts"))
        try #require(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("at epoch 2 step 0 (changed: ranks 2 -> 3 (deterministic: no bit depends on it))"),
                "\(resumed.stdout)")
        #expect(try firstDifference(bytes(folder + "/whole"), bytes(folder + "/parts")) == "identical")
    }

    /// `--same-bits-on 1,2` takes the largest micro-batch that splits over 1 and 2 ranks (2 of
    /// 300 for G = 600): the banner says so, and 1 and 2 ranks end byte-identical.
    @Test func sameBitsOnTheRankCountsAsked() throws {
        let folder = try MPIJob.temporaryDirectory("same-bits-on")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var parameters: [Data] = []
        for ranks in 1...2 {
            let directory = "\(folder)/np\(ranks)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let run = try MPIJob.run(
                ranks: ranks, arguments + ["--epochs", "1", "--same-bits-on", "1,2"], timeout: 120,
                environment: MPIJob.rankParametersHook(directory))
            try #require(run.status == 0, "\(ranks) ranks: \(run.stderr)")
            #expect(run.stdout.contains("deterministic (2 micro-batches of 300: the same bits on 1, 2 ranks)"), "\(run.stdout)")
            parameters.append(try bytes(directory))
        }
        #expect(firstDifference(parameters[1], parameters[0]) == "identical")
    }

    /// A rank's micro-batches in one forward and backward pass over its batch (where the
    /// kernels compute rows alike at both sizes, which the banner says) end with the bytes of
    /// passes micro-batch by micro-batch (`MNIST_MPI_LEAF_PASSES=off`), on 1 and 2 ranks.
    @Test(arguments: [1, 2])
    func leafPassesKeepTheBits(ranks: Int) throws {
        let folder = try MPIJob.temporaryDirectory("leaf-passes")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var parameters: [String: Data] = [:]
        for passes in ["auto", "off"] {
            let directory = "\(folder)/\(passes)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var environment = MPIJob.rankParametersHook(directory)
            environment["MNIST_MPI_LEAF_PASSES"] = passes
            let run = try MPIJob.run(ranks: ranks, arguments + ["--epochs", "1"], timeout: 120, environment: environment)
            try #require(run.status == 0, "\(passes): \(run.stderr)")
            let banner = run.stdout.contains("ranks) in one forward and backward pass over the rank's batch")
            if passes == "off" { #expect(!banner, "\(run.stdout)") }
            parameters[passes] = try bytes(directory)
        }
        #expect(firstDifference(parameters["auto"] ?? Data(), parameters["off"] ?? Data([1])) == "identical")
    }

    /// What deterministic mode cannot do ends every rank with one line.
    @Test(arguments: [
        (5, ["--epochs", "1"], "do not divide over 5 ranks: run on 1, 2, 3, 4, 6, 8, 12, 24 ranks"),
        (2, ["--epochs", "1", "--compression", "bf16"], "drop --overlap, --compression"),
    ])
    func whatItCannotRunIsOneLine(ranks: Int, extra: [String], message: String) throws {
        let all = arguments + extra
        let outcome = try MPIJob.run(ranks: ranks, all, timeout: 30)
        BadInputTests.expectOneLineFailure(outcome, all, mentioning: message)
    }
}
