import Foundation
import TestSupport
import Testing

/// A slow rank is named: with one rank sleeping before every step (the test hook
/// `slow-rank=R:MS`), rank 0 logs which rank and by how much, and the summary's per-rank work
/// and wait show it (the slow rank works most and waits least).
@Suite(.serialized) struct StragglerReportTests {
    private let small = ["--data", MPIJob.mnistDirectory, "--train-limit", "12000", "--test-limit", "500",
                         "--epochs", "4", "--log-every", "1", "--eval-every", "0"]

    @Test func aSlowRankIsNamedWithItsFigures() throws {
        let directory = try MPIJob.temporaryDirectory("straggler")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outcome = try MPIJob.run(
            ranks: 2, ["train"] + small + ["--summary", directory + "/s.json"],
            environment: ["MNIST_MPI_TEST_HOOKS": "slow-rank=1:3"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("slow rank ") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("slow rank 1: ") }, "\(outcome.stdout)")
        #expect(lines.first?.contains("for 2 epochs") == true, "named once it has lasted 2 epochs: \(lines)")
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/s.json"))) as? [String: Any])
        let work = try #require(summary["work_seconds_per_rank"] as? [Double])
        let wait = try #require(summary["wait_seconds_per_rank"] as? [Double])
        try #require(work.count == 2 && wait.count == 2)
        // 240 steps x 3 ms asleep: rank 1 works at least 0.5 s more, and rank 0 waits for it.
        #expect(work[1] > work[0] + 0.5, "work \(work)")
        #expect(wait[0] > wait[1] + 0.5, "wait \(wait)")
    }

    @Test func oneRankHasNoPerRankFigures() throws {
        let summary = try MPIJob.trainSummary(ranks: 1, small + ["--epochs", "1"])
        #expect((summary["work_seconds_per_rank"] as? [Double])?.isEmpty == true)
    }
}
