import Foundation
import Testing
@testable import RunOutput

@Suite struct TimelineTests {
    @Test func recorderKeepsTheFirstStepsAndPacksThemForOneGather() {
        let recorder = TimelineRecorder(origin: 100, stepLimit: 2, otherSpans: 1)
        #expect(recorder.packed().count == 1 + (2 * 3 + 1) * 5)
        recorder.step(epoch: 0, step: 0, computeStart: 100, reduceStart: 101, reduceEnd: 102, end: 103)
        recorder.span(.evaluate, epoch: 0, step: 1, start: 103, end: 104)
        recorder.step(epoch: 0, step: 1, computeStart: 104, reduceStart: 105, reduceEnd: 106, end: 107)
        recorder.step(epoch: 0, step: 2, computeStart: 107, reduceStart: 108, reduceEnd: 109, end: 110)
        recorder.span(.checkpoint, epoch: 1, step: 0, start: 110, end: 111)
        let spans = TimelineRecorder.unpack(recorder.packed()[...])
        #expect(spans.map(\.kind) == [.compute, .allreduce, .optimizer, .evaluate, .compute, .allreduce, .optimizer])
        #expect(spans.first == TimelineSpan(kind: .compute, epoch: 0, step: 0, start: 0, end: 1))
        #expect(spans.last?.end == 7)
        #expect(!recorder.isRecording)
    }

    @Test func allreduceSplitsAtTheLastRankToArrive() {
        func step(_ rank: Int, arrive: Double) -> [TimelineSpan] {
            [TimelineSpan(kind: .compute, epoch: 0, step: 0, start: 0, end: arrive),
             TimelineSpan(kind: .allreduce, epoch: 0, step: 0, start: arrive, end: 5),
             TimelineSpan(kind: .allreduce, epoch: 0, step: 1, start: 6, end: 7)]
        }
        var ranks = [step(0, arrive: 1), step(1, arrive: 4)]
        ranks[1].removeLast()  // step 1 recorded on rank 0 only: left whole
        let split = ChromeTrace.splittingAllreduce(ranks)
        #expect(split[0].map(\.kind) == [.compute, .wait, .transfer, .allreduce])
        #expect(split[0][1].start == 1 && split[0][1].end == 4 && split[0][2].start == 4 && split[0][2].end == 5)
        // The slowest rank waited for nobody.
        #expect(split[1].map(\.kind) == [.compute, .transfer])
        #expect(split[1][1].start == 4)
    }

    @Test func traceIsJSONWithARowPerRankInMicroseconds() throws {
        let spans = [TimelineSpan(kind: .compute, epoch: 2, step: 3, start: 0.5, end: 0.75)]
        let text = ChromeTrace.json(ranks: [spans, []], hostNames: ["node-\"a\"", "b"], metadata: ["k": "v"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let events = try #require(object["traceEvents"] as? [[String: Any]])
        let complete = events.filter { $0["ph"] as? String == "X" }
        #expect(complete.count == 1)
        #expect(complete.first?["ts"] as? Double == 500_000 && complete.first?["dur"] as? Double == 250_000)
        let names = events.filter { $0["name"] as? String == "process_name" }
            .compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        #expect(names == ["rank 0 (node-\"a\")", "rank 1 (b)"])
        #expect((object["otherData"] as? [String: String])?["k"] == "v")
    }
}
