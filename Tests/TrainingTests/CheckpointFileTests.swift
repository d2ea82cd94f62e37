import Foundation
import Testing
@testable import NeuralNet
@testable import Training

/// The checkpoint format in one process: round trip, and each kind of damage refused.
@Suite struct CheckpointFileTests {
    private func sample() -> Checkpoint {
        let header = Checkpoint.Header(
            nextEpoch: 3, nextStep: 17, optimizerSteps: 917, partialLoss: 12.5,
            layerSizes: [4, 3, 2], activation: .relu, optimizer: .adam, ranks: 2, seed: 9,
            fingerprint: "abc", parameterCount: 23, firstMomentCount: 23, secondMomentCount: 23)
        let values = (0..<23).map { Float($0) * 0.25 - 1 }
        return Checkpoint(header: header, parameters: values, firstMoment: values.map { $0 * 2 },
                          secondMoment: values.map { $0 * $0 })
    }

    /// `sample()` with a PowerSGD state at rank 1: Q of 3 + 2 floats (both layers compress:
    /// (4 + 3) x 1 < 12 and (3 + 2) x 1 < 6), then 2 ranks x 23 error values.
    private func sampleWithPowerSGD() -> Checkpoint {
        var checkpoint = sample()
        checkpoint.header.reducerState = Checkpoint.ReducerSection(name: "powersgd", tag: 1, count: 5 + 2 * 23)
        checkpoint.compressionState = (0..<51).map { Float($0) / 7 }
        return checkpoint
    }

    private func temporaryPath() -> String {
        NSTemporaryDirectory() + "checkpoint-test-" + UUID().uuidString
    }

    @Test func roundTripThroughAFile() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try CheckpointFile.write(sample(), to: path)
        #expect(try CheckpointFile.read(path: path) == sample())
        // The atomic write leaves no temporary file behind.
        let folder = (path as NSString).deletingLastPathComponent
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasPrefix((path as NSString).lastPathComponent + ".tmp") }
        #expect(leftovers.isEmpty)
        // With PowerSGD's state after the moments.
        try CheckpointFile.write(sampleWithPowerSGD(), to: path)
        let read = try CheckpointFile.read(path: path)
        #expect(read == sampleWithPowerSGD())
        #expect(read.compressionState.count == 51 && read.header.reducerSection?.tag == 1)
        // A checkpoint written before reducer sections (PowerSGD's own header fields) reads as one.
        var older = sampleWithPowerSGD()
        older.header.reducerState = nil
        older.header.powersgdRank = 1
        older.header.compressionStateCount = 51
        try CheckpointFile.write(older, to: path)
        #expect(try CheckpointFile.read(path: path).header.reducerSection == Checkpoint.ReducerSection(name: "powersgd", tag: 1, count: 51))
    }

    /// Headers a crafted file could carry, with a correct checksum: each is refused with a
    /// reason, none traps (before, `[784,256,256,11]` over a 10-class payload crashed evaluate).
    @Test(arguments: [
        ("sizes", "but layer sizes [4, 3, 3] have 27"), ("zero-width", "are not a model"), ("one-layer", "are not a model"),
        ("huge", "imply more than"), ("moments", "optimizer state"), ("count", "payload size"),
        ("negative", "negative or non-finite"),
        ("powersgd-count", "a PowerSGD state of 50 values, expected 5 + 2 x 23"),
        ("powersgd-rank", "a PowerSGD state without a valid rank (none)"),
        ("unknown-section", "a reducer state named lowrank2, which no reducer of this version writes"),
    ])
    func craftedHeadersAreRefused(kind: String, reason: String) throws {
        var checkpoint = sample()
        switch kind {
        case "sizes": checkpoint.header.layerSizes = [4, 3, 3]          // 15 + 12 = 27, not 23
        case "zero-width": checkpoint.header.layerSizes = [4, 0, 2]
        case "one-layer": checkpoint.header.layerSizes = [23]
        case "huge": checkpoint.header.layerSizes = [1 << 20, 1 << 20, 1 << 20]
        case "moments": checkpoint.header.firstMomentCount = 5
        case "count": checkpoint.header.parameterCount = 23; checkpoint.parameters.removeLast()
        case "negative": checkpoint.header.nextStep = -1
        case "powersgd-count":
            checkpoint = sampleWithPowerSGD()
            checkpoint.header.reducerState?.count = 50
            checkpoint.compressionState.removeLast()
        case "powersgd-rank":
            checkpoint = sampleWithPowerSGD()
            checkpoint.header.reducerState?.tag = nil
        case "unknown-section":
            checkpoint = sampleWithPowerSGD()
            checkpoint.header.reducerState?.name = "lowrank2"
        default: Issue.record("unknown case \(kind)")
        }
        let bytes = try CheckpointFile.encode(checkpoint)   // a valid checksum over the crafted file
        let error = try #require(throws: CheckpointError.self) { try CheckpointFile.decode(bytes, path: "crafted.ckpt") }
        let text = "\(error)"
        #expect(text.contains(reason), "\(text)")
        #expect(!text.contains("\n"))
    }

    /// Random headers with a valid checksum (sizes and counts from a seeded generator, extremes
    /// included) over random payload lengths: decode returns or throws, and never traps, 3000
    /// times. What it returns is consistent with itself.
    @Test func randomHeadersNeverTrap() throws {
        var seeded = SplitMix64(seed: 2026)
        let extremes = [0, 1, -1, 2, 10, 784, 1 << 20, (1 << 20) + 1, Int(Int32.max), Int.max, Int.min]
        func pick() -> Int {
            seeded.next() % 3 == 0 ? extremes[Int(seeded.next() % UInt64(extremes.count))] : Int(seeded.next() % 40)
        }
        var accepted = 0
        for _ in 0..<3000 {
            var checkpoint = sample()
            checkpoint.header.layerSizes = (0..<Int(seeded.next() % 5)).map { _ in pick() }
            checkpoint.header.parameterCount = pick()
            checkpoint.header.firstMomentCount = pick()
            checkpoint.header.secondMomentCount = pick()
            checkpoint.header.nextStep = pick()
            let lengths = (0..<3).map { _ in Int(seeded.next() % 40) }
            checkpoint.parameters = [Float](repeating: 0.5, count: lengths[0])
            checkpoint.firstMoment = [Float](repeating: 0.5, count: lengths[1])
            checkpoint.secondMoment = [Float](repeating: 0.5, count: lengths[2])
            let bytes = try CheckpointFile.encode(checkpoint)
            if let decoded = try? CheckpointFile.decode(bytes, path: "random.ckpt") {
                accepted += 1
                #expect(decoded.parameters.count == NetworkLayout(sizes: decoded.header.layerSizes).parameterCount)
            }
        }
        // Some random headers are consistent (e.g. sizes [2, 3] with 9 parameters): the check
        // refuses the inconsistent ones, not everything.
        #expect(accepted < 3000)
    }

    @Test func everyDamageIsRefused() throws {
        let bytes = try CheckpointFile.encode(sample())
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        var version = bytes
        version[8] = 7
        let cases: [([UInt8], String)] = [
            (Array(bytes.prefix(bytes.count - 5)), "checksum"),
            (flipped, "checksum"),
            (version, "format version 7"),
            (Array("not a checkpoint at all".utf8), "not a mnist-mpi checkpoint"),
            ([], "not a mnist-mpi checkpoint"),
        ]
        for (damaged, expected) in cases {
            let error = try #require(throws: CheckpointError.self) { try CheckpointFile.decode(damaged, path: "ck") }
            #expect(error.description.contains(expected), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func fingerprintFollowsTheTrajectoryNotThePaths() {
        var a = TrainingConfiguration.seed
        var b = a
        b.reporting.summaryPath = "/elsewhere.json"
        b.optimization.epochs = 99
        b.data.dataDirectory = "/other/data"
        #expect(a.trajectoryFingerprint == b.trajectoryFingerprint)
        a.optimization.learningRate = 0.2
        #expect(a.trajectoryFingerprint != b.trajectoryFingerprint)
    }
}

/// A small deterministic generator for the random header test (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
