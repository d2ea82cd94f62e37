import Foundation

/// One relaunch of an elastic job (`mnist-mpi elastic`): why, which hosts, how much was lost.
/// The supervisor appends one per relaunch to the history file it passes to every launch
/// (`--restarts-file`); the relaunched trainer fills in when its first step ran.
public struct RestartRecord: Codable, Sendable, Equatable {
    /// 1 for the first relaunch.
    public var restart: Int
    /// "host lost", "host added", "rank failed" (a rank died on a host that still answers).
    public var reason: String
    public var lostHosts: [String]
    public var addedHosts: [String]
    public var hosts: [String]
    public var ranksBefore: Int
    public var ranksAfter: Int
    /// The last optimizer step the ended job finished (its progress marker), when known.
    public var lastStep: Int?
    /// The optimizer step the relaunch continues from (its checkpoint's; 0 without one; nil
    /// when the supervisor cannot read it: copies on the nodes' own disks).
    public var resumedStep: Int?
    /// `lastStep - resumedStep`: steps done twice (when both are known).
    public var stepsRedone: Int? = nil
    /// Unix times: the ended job noticed (its launcher ended, or the stop was asked for), the
    /// relaunch started, and (written by the relaunched trainer) its first step finished.
    public var endedAt: Double
    public var relaunchedAt: Double
    public var firstStepAt: Double?

    public init(
        restart: Int, reason: String, lostHosts: [String], addedHosts: [String], hosts: [String], ranksBefore: Int,
        ranksAfter: Int, lastStep: Int?, resumedStep: Int?, endedAt: Double, relaunchedAt: Double
    ) {
        self.restart = restart
        self.reason = reason
        self.lostHosts = lostHosts
        self.addedHosts = addedHosts
        self.hosts = hosts
        self.ranksBefore = ranksBefore
        self.ranksAfter = ranksAfter
        self.lastStep = lastStep
        self.resumedStep = resumedStep
        if let lastStep, let resumedStep { stepsRedone = max(0, lastStep - resumedStep) }
        self.endedAt = endedAt
        self.relaunchedAt = relaunchedAt
    }

    /// From the ended job's end to the relaunched job's first step, when that is known.
    public var recoverySeconds: Double? { firstStepAt.map { $0 - endedAt } }

    /// One log line: "restart 1 (host lost: 10.0.0.3): 3 -> 2 ranks, from step 120 (6 redone)".
    public var description: String {
        let hostsNamed = lostHosts.isEmpty ? addedHosts : lostHosts
        let who = hostsNamed.isEmpty ? reason : "\(reason): \(hostsNamed.joined(separator: ", "))"
        let redone = stepsRedone.map { ", \($0) redone" } ?? ""
        let recovery = recoverySeconds.map { String(format: ", first step %.1f s after the job ended", $0) } ?? ""
        let from = resumedStep.map { "from step \($0)" } ?? "from the newest copy on the nodes"
        return "restart \(restart) (\(who)): \(ranksBefore) -> \(ranksAfter) ranks, \(from)\(redone)\(recovery)"
    }

    enum CodingKeys: String, CodingKey {
        case restart, reason, hosts
        case lostHosts = "lost_hosts", addedHosts = "added_hosts", ranksBefore = "ranks_before"
        case ranksAfter = "ranks_after", lastStep = "last_step", resumedStep = "resumed_step"
        case stepsRedone = "steps_redone", endedAt = "ended_at", relaunchedAt = "relaunched_at"
        case firstStepAt = "first_step_at"
    }
}

/// The restarts file: a JSON array of `RestartRecord`, rewritten whole (atomically) each time.
public enum RestartHistory {
    /// The records in `path`; an absent file is no restart yet.
    public static func read(path: String) throws -> [RestartRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode([RestartRecord].self, from: data)
    }

    /// Replaces `path` with `records` (a temporary file renamed over it).
    public static func write(_ records: [RestartRecord], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = "\(path).tmp-\(getpid())"
        try encoder.encode(records).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot replace \(path): \(reason)"])
        }
    }
}

/// The ended job's last finished step, for counting the steps a relaunch redoes: under
/// `mnist-mpi elastic`, rank 0 overwrites a few bytes beside the checkpoint
/// (`<checkpoint>.step`) after every step, no fsync (the page cache outlives a killed process;
/// about a microsecond a step).
public final class ProgressMarker {
    private let descriptor: Int32
    /// The marker's 20 bytes, made once: a step formats into it without allocating.
    private var text = [UInt8](repeating: UInt8(ascii: " "), count: 20)

    /// The marker's path for a checkpoint path.
    public static func path(forCheckpoint checkpoint: String) -> String { checkpoint + ".step" }

    /// Opens (creates) the marker; nil when it cannot be written (it is only a measurement).
    public init?(checkpoint: String) {
        descriptor = open(ProgressMarker.path(forCheckpoint: checkpoint), O_WRONLY | O_CREAT, 0o644)
        if descriptor < 0 { return nil }
    }

    deinit { close(descriptor) }

    /// Records that optimizer step `step` (counted from 1) has finished.
    public func stepFinished(_ step: Int) {
        let descriptor = self.descriptor
        text.withUnsafeMutableBufferPointer { bytes in
            // The digits left-aligned, spaces after (read back with trimming).
            var digits = 0, rest = max(step, 0)
            repeat { digits += 1; rest /= 10 } while rest > 0
            rest = max(step, 0)
            for index in stride(from: digits - 1, through: 0, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            for index in digits..<bytes.count { bytes[index] = UInt8(ascii: " ") }
            _ = pwrite(descriptor, bytes.baseAddress, bytes.count, 0)
        }
    }

    /// The step recorded at `path`, if any.
    public static func read(checkpoint: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: path(forCheckpoint: checkpoint)) else { return nil }
        return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
