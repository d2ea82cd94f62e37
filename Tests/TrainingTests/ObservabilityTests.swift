import Foundation
import RunOutput
import TestSupport
import Testing

/// --tensorboard, --timeline and --progress under mpirun on a subset of the real MNIST. The
/// real readers (TensorBoard, Perfetto UI) check the same files in
/// scripts/observability/observability-test.sh.
@Suite(.serialized) struct ObservabilityTests {
    /// 6,000 training images: 30 steps an epoch at 2 ranks.
    private var small: [String] {
        ["train", "--data", MPIJob.mnistDirectory, "--train-limit", "6000", "--test-limit", "1000", "--eval-every", "1"]
    }

    private func temporary() throws -> String { try MPIJob.temporaryDirectory("observability") }

    /// The trace's complete spans by rank, sorted by start.
    private func spansByRank(_ path: String) throws -> [Int: [[String: Any]]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(object["traceEvents"] as? [[String: Any]])
        var rows: [Int: [[String: Any]]] = [:]
        for event in events where event["ph"] as? String == "X" {
            rows[event["pid"] as? Int ?? -1, default: []].append(event)
        }
        return rows.mapValues { $0.sorted { ($0["ts"] as? Double ?? 0) < ($1["ts"] as? Double ?? 0) } }
    }

    /// The multilayer perceptron and a convolutional model (both layer kinds, both poolings).
    @Test(arguments: [[], ["--model", "conv3x3x4p1,maxpool2,conv3x3x8,avgpool2,fc32,fc10", "--activation", "relu", "--init", "he"]])
    func twoRanksWriteEventFilesAndATimelineOfEveryRank(model: [String]) throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outcome = try MPIJob.run(ranks: 2, small + model + [
            "--epochs", "2", "--tensorboard", folder + "/tb", "--tensorboard-every", "5",
            "--timeline", folder + "/timeline.json", "--timeline-steps", "40",
        ])
        try #require(outcome.status == 0, "\(outcome.stderr)")

        // One event file from rank 0: every record whole and checksummed; 2 epochs x 30 steps
        // give a step cost at 5, 10, ..., 60, and at 30 and 60 the ranks' event (StragglerReport,
        // at the epoch's end) and the epoch's.
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/tb")
        #expect(files.count == 1 && files[0].hasPrefix("events.out.tfevents."), "\(files)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/tb/" + files[0])))
        let records = TFRecord.records(in: bytes)
        #expect(records.validBytes == bytes.count)
        let steps = records.payloads.dropFirst().compactMap(TensorBoardWriter.eventStep)
        #expect(steps == [5, 10, 15, 20, 25, 30, 30, 30, 35, 40, 45, 50, 55, 60, 60, 60], "\(steps)")

        // The timeline: a row per rank, 40 steps each, spans that follow each other.
        let rows = try spansByRank(folder + "/timeline.json")
        #expect(rows.keys.sorted() == [0, 1])
        for (rank, spans) in rows {
            let computeSteps = spans.filter { $0["name"] as? String == "forward+backward" }
            #expect(computeSteps.count == 40, "rank \(rank)")
            for (before, after) in zip(spans, spans.dropFirst()) {
                let end = (before["ts"] as? Double ?? 0) + (before["dur"] as? Double ?? 0)
                #expect(end <= (after["ts"] as? Double ?? 0) + 0.002, "rank \(rank): \(before) overlaps \(after)")
            }
            // Each recorded step's allreduce is split: at most one wait, always one transfer.
            let transfers = spans.filter { $0["name"] as? String == "allreduce: transfer" }
            #expect(transfers.count == 40, "rank \(rank)")
        }
        // In every step one rank arrived last and waited for nobody.
        let waits = rows.values.joined().filter { $0["name"] as? String == "allreduce: wait for slowest rank" }
        #expect(waits.count <= 40)
    }

    /// SIGTERM: the ranks stop together, and the timeline is still gathered and written.
    @Test func aStoppedRunStillWritesItsTimeline() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let job = try MPIJob.start(ranks: 2, small + [
            "--epochs", "100", "--checkpoint", folder + "/ck", "--timeline", folder + "/timeline.json",
        ])
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: folder + "/ck"), Date() < deadline { usleep(20_000) }
        kill(job.pid, SIGTERM)
        let outcome = job.wait(timeout: 30)
        #expect(!outcome.timedOut && outcome.status != 0)
        #expect(outcome.stderr.contains("stopped by SIGTERM"), "\(outcome.stderr)")
        let rows = try spansByRank(folder + "/timeline.json")
        #expect(rows.keys.sorted() == [0, 1])
        #expect(rows[0]?.contains { $0["name"] as? String == "checkpoint" } == true)
    }

    /// `--progress always` draws rank 0's live line through mpirun; the default keeps logs to
    /// one line per epoch.
    @Test func liveLineOnlyWhenAskedUnderMPIRun() throws {
        let asked = try MPIJob.run(ranks: 2, small + ["--epochs", "2", "--progress", "always"])
        try #require(asked.status == 0, "\(asked.stderr)")
        #expect(asked.stdout.contains("\r\u{1B}[Kepoch   0"), "\(asked.stdout.debugDescription)")
        let plain = try MPIJob.run(ranks: 2, small + ["--epochs", "2"])
        try #require(plain.status == 0, "\(plain.stderr)")
        #expect(!plain.stdout.contains("\r"))
        #expect(plain.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch") }.count == 2)
    }
}
