import Foundation
import TestSupport
import Testing

/// A convolutional model through the machinery the multilayer perceptron runs on, under mpirun:
/// deterministic sums on 1 to 8 ranks, an exact resume, PowerSGD and the overlapped reducer,
/// and the model's refusals.
@Suite(.serialized) struct ConvolutionalTrainingTests {
    /// A small network (both layer kinds, padding, both poolings) on 2,400 images: 4 steps an
    /// epoch at G = 600.
    private let arguments = [
        "train", "--data", MPIJob.mnistDirectory, "--train-limit", "2400", "--test-limit", "500", "--eval-every", "0",
        "--model", "conv3x3x4p1,maxpool2,conv3x3x8,avgpool2,fc32,fc10", "--activation", "relu", "--init", "he",
        "--optimizer", "adam", "--lr", "0.003",
    ]

    private func bytes(_ folder: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: folder + "/rank-0.f32"))
    }

    private func fingerprint(_ stdout: String) -> String {
        String(stdout.split(separator: "\n").first { $0.hasPrefix("parameter fingerprint ") } ?? "none")
    }

    /// `--deterministic --same-bits-on 1,2,3,4,6,8` with `--augment-shift 2`: byte-identical
    /// parameters on 1, 2, 3, 4, 6 and 8 ranks (24 micro-batches of 25; 6 and 8 ranks
    /// oversubscribed; each example's shift depends on no rank).
    @Test func deterministicOnOneToEightRanks() throws {
        let folder = try MPIJob.temporaryDirectory("cnn-deterministic")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var results: [(ranks: Int, parameters: Data, fingerprint: String)] = []
        for ranks in [1, 2, 3, 4, 6, 8] {
            let directory = "\(folder)/np\(ranks)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let run = try MPIJob.run(
                ranks: ranks,
                arguments + [
                    "--epochs", "2", "--global-batch", "600", "--deterministic", "--same-bits-on", "1,2,3,4,6,8", "--augment-shift", "2",
                ],
                timeout: 120, environment: MPIJob.rankParametersHook(directory))
            try #require(run.status == 0, "\(ranks) ranks: \(run.stderr)")
            #expect(run.stdout.contains("conv3x3x4p1,maxpool2,conv3x3x8,avgpool2,fc32,fc10 ("), "\(run.stdout)")
            results.append((ranks, try bytes(directory), fingerprint(run.stdout)))
        }
        for result in results.dropFirst() {
            #expect(firstDifference(result.parameters, results[0].parameters) == "identical", "\(result.ranks) ranks against 1")
            #expect(result.fingerprint == results[0].fingerprint)
        }
    }

    /// 2 epochs in one run equal 1 epoch, a checkpoint and a resumed second epoch, byte for byte.
    @Test func resumeIsExact() throws {
        let folder = try MPIJob.temporaryDirectory("cnn-resume")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["whole", "parts"] {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(name)", withIntermediateDirectories: true)
        }
        let whole = try MPIJob.run(ranks: 2, arguments + ["--epochs", "2"], timeout: 120,
                                   environment: MPIJob.rankParametersHook(folder + "/whole"))
        try #require(whole.status == 0, "\(whole.stderr)")
        let first = try MPIJob.run(ranks: 2, arguments + ["--epochs", "1", "--checkpoint", folder + "/ck"], timeout: 120)
        try #require(first.status == 0, "\(first.stderr)")
        let resumed = try MPIJob.run(ranks: 2, arguments + ["--epochs", "2", "--checkpoint", folder + "/ck", "--resume"],
                                     timeout: 120, environment: MPIJob.rankParametersHook(folder + "/parts"))
        try #require(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from"))
        #expect(try firstDifference(bytes(folder + "/whole"), bytes(folder + "/parts")) == "identical")
        // The same checkpoint refuses another model, naming both.
        var otherModel = arguments
        if let index = otherModel.firstIndex(of: "--model") { otherModel[index + 1] = "conv3x3x4p1,maxpool2,fc10" }
        let other = try MPIJob.run(
            ranks: 2, otherModel + ["--epochs", "2", "--checkpoint", folder + "/ck", "--resume"], timeout: 60)
        #expect(other.status != 0)
        #expect(other.stderr.contains("conv3x3x4p1,maxpool2,conv3x3x8,avgpool2,fc32,fc10"), "\(other.stderr)")
    }

    /// PowerSGD (convolution weights as [k·k·C, filters] matrices, compressing from the first
    /// step) and the overlapped reducer train the model to better than chance on 2 ranks.
    @Test(arguments: [["--compression", "powersgd", "--powersgd-warmup-steps", "0"], ["--overlap"]])
    func reducersTrainIt(extra: [String]) throws {
        let run = try MPIJob.run(ranks: 2, arguments + ["--epochs", "3"] + extra, timeout: 120)
        try #require(run.status == 0, "\(run.stderr)")
        let accuracy = run.stdout.split(separator: "\n").first { $0.hasPrefix("test accuracy ") }
            .flatMap { Double($0.dropFirst("test accuracy ".count).prefix { $0 != "%" }) }
        #expect((accuracy ?? 0) > 50, "\(run.stdout)")
    }
}
