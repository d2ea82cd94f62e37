import Foundation

/// Writes every rank's timeline as one Chrome trace-event JSON file (the format Perfetto,
/// `chrome://tracing` and Speedscope open): one process row per rank, complete events (`"ph":
/// "X"`) in microseconds.
public enum ChromeTrace {
    /// Splits each step's allreduce into the part a rank spent waiting for the slowest rank to
    /// arrive (its span start to the latest start of that step's allreduce over all ranks) and
    /// the transfer after it. Steps not recorded on every rank keep their whole `allreduce` span.
    ///
    /// - Parameter ranks: `[ranks][spans]`, times on one aligned clock.
    /// - Returns: the same spans with the allreduces split.
    public static func splittingAllreduce(_ ranks: [[TimelineSpan]]) -> [[TimelineSpan]] {
        struct StepKey: Hashable { let epoch: Int, step: Int }
        var latestArrival: [StepKey: Double] = [:]
        var arrivals: [StepKey: Int] = [:]
        for spans in ranks {
            for span in spans where span.kind == .allreduce {
                let key = StepKey(epoch: span.epoch, step: span.step)
                latestArrival[key] = max(latestArrival[key] ?? -.infinity, span.start)
                arrivals[key, default: 0] += 1
            }
        }
        return ranks.map { spans in
            spans.flatMap { span -> [TimelineSpan] in
                let key = StepKey(epoch: span.epoch, step: span.step)
                guard span.kind == .allreduce, arrivals[key] == ranks.count, let latest = latestArrival[key] else {
                    return [span]
                }
                let split = min(max(latest, span.start), span.end)
                var wait = span, transfer = span
                wait.kind = .wait
                wait.end = split
                transfer.kind = .transfer
                transfer.start = split
                // The last rank to arrive did not wait.
                return split > span.start ? [wait, transfer] : [transfer]
            }
        }
    }

    /// The trace as JSON text.
    ///
    /// - Parameters:
    ///   - ranks: `[ranks][spans]` (seconds on one aligned clock).
    ///   - hostNames: each rank's host, for its row's name.
    ///   - metadata: extra keys for the trace's `otherData` object.
    public static func json(ranks: [[TimelineSpan]], hostNames: [String], metadata: [String: String] = [:]) -> String {
        var events: [String] = []
        for (rank, spans) in ranks.enumerated() {
            let host = rank < hostNames.count ? hostNames[rank] : "?"
            events.append(#"{"name":"process_name","ph":"M","pid":\#(rank),"args":{"name":"rank \#(rank) (\#(escaped(host)))"}}"#)
            events.append(#"{"name":"process_sort_index","ph":"M","pid":\#(rank),"args":{"sort_index":\#(rank)}}"#)
            events.append(#"{"name":"thread_name","ph":"M","pid":\#(rank),"tid":0,"args":{"name":"training loop"}}"#)
            for span in spans.sorted(by: { $0.start < $1.start }) {
                let start = span.start * 1e6, duration = max(0, span.end - span.start) * 1e6
                events.append(String(
                    format: #"{"name":"%@","cat":"%@","ph":"X","pid":%d,"tid":0,"ts":%.3f,"dur":%.3f,"args":{"epoch":%d,"step":%d}}"#,
                    span.kind.name, category(span.kind), rank, start, duration, span.epoch, span.step))
            }
        }
        let other = metadata.sorted { $0.key < $1.key }
            .map { #""\#(escaped($0.key))":"\#(escaped($0.value))""# }.joined(separator: ",")
        return #"{"displayTimeUnit":"ms","otherData":{\#(other)},"traceEvents":[\#n"#
            + events.joined(separator: ",\n") + "\n]}\n"
    }

    /// Writes `json(...)` of the split spans to `path`, atomically.
    ///
    /// - Throws: `OutputError.cannotWrite` naming the path.
    public static func write(
        ranks: [[TimelineSpan]], hostNames: [String], metadata: [String: String], to path: String
    ) throws {
        let text = json(ranks: splittingAllreduce(ranks), hostNames: hostNames, metadata: metadata)
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw OutputError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    private static func category(_ kind: TimelineSpan.Kind) -> String {
        switch kind {
        case .compute, .optimizer: return "compute"
        case .allreduce, .wait, .transfer: return "communication"
        case .evaluate, .checkpoint: return "epoch"
        }
    }

    private static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
