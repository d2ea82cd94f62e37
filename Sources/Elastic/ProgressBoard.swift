import Foundation

/// What the ranks' heartbeats say of one launch: each rank's last word, how far the job has
/// come, its measured step time, and which hosts hang.
///
/// A host hangs when the job has made no step for longer than the bound while the host's ranks
/// are silent (a frozen process sends nothing: `docker pause`, SIGSTOP, a soft lockup, a cut
/// network) or alive but behind the others and idle for three bounds (stuck on I/O), and some
/// other host still speaks (ranks that wait for it). Ranks that said they finished, and hosts
/// not heard from before the first step, are never taken for hung. The bound is
/// `fixedBound`, or `multiple` x the measured seconds per step (epoch ends included) with a
/// floor of `floorSeconds`; no verdict until `measuredSteps` steps are measured.
struct ProgressBoard {
    /// A rank's latest heartbeat, where it came from and when.
    struct RankState {
        var host: String?
        var lastHeard: Double
        var beat: Heartbeat

        var arrivals: Int { beat.arrivals }
        var idleSeconds: Double { Double(beat.idleMilliseconds) / 1000 }
        var finished: Bool { beat.finished }
    }

    /// The verdict: hosts that hang, and the sentence that says why.
    struct Verdict: Equatable {
        var hosts: [String]
        var reason: String
    }

    static let floorSeconds = 5.0
    static let multiple = 50.0
    static let measuredSteps = 10

    let hosts: [String]
    let fixedBound: Double?
    private let hostOfAddress: [String: String]
    private(set) var ranks: [Int: RankState] = [:]
    /// The most step collectives any rank has reached, and when that last grew.
    private(set) var furthest = 0
    private(set) var furthestSince: Double
    private var measureStart: (time: Double, arrivals: Int)? = nil
    /// The latest word on a slow rank: which, and how many times faster the job would step
    /// without it (nil: none slow).
    private(set) var slow: (rank: Int, speedup: Double)? = nil

    /// - Parameters:
    ///   - hosts: the launch's hosts (names or addresses, as in its hostfile).
    ///   - addresses: each host's addresses (a datagram's sender is matched against them).
    ///   - fixedBound: the bound in seconds (nil: from the measured step time).
    init(hosts: [String], addresses: [String: [String]], now: Double, fixedBound: Double? = nil) {
        self.hosts = hosts
        self.fixedBound = fixedBound
        var hostOfAddress: [String: String] = [:]
        for host in hosts {
            hostOfAddress[host] = host
            for address in addresses[host] ?? [] { hostOfAddress[address] = host }
        }
        self.hostOfAddress = hostOfAddress
        furthestSince = now
    }

    /// Takes in one heartbeat from `sender` (an address) at `now`.
    mutating func record(_ beat: Heartbeat, sender: String, now: Double) {
        let host = hostOfAddress[sender] ?? hostOfAddress[beat.hostName]
            ?? hosts.first { $0.split(separator: ".").first == beat.hostName.split(separator: ".").first }
        ranks[beat.rank] = RankState(host: host, lastHeard: now, beat: beat)
        slow = beat.slowRank.map { ($0, beat.speedupWithoutSlowRank) }
        if beat.arrivals > furthest {
            furthest = beat.arrivals
            furthestSince = now
            if measureStart == nil, beat.arrivals >= 1 { measureStart = (now, beat.arrivals) }
        }
    }

    /// Seconds per step from the first step seen to the furthest (nil: too few steps yet).
    var stepSeconds: Double? {
        guard let start = measureStart, furthest - start.arrivals >= Self.measuredSteps else { return nil }
        return (furthestSince - start.time) / Double(furthest - start.arrivals)
    }

    /// How long the job may make no step before a silent host counts as hung (nil: not known yet).
    var bound: Double? {
        if let fixedBound { return fixedBound }
        return stepSeconds.map { max(Self.floorSeconds, Self.multiple * $0) }
    }

    /// The host of the rank found slow, when the job would step at least `minimumSpeedup` times
    /// faster without it (nil: none, or its host not known).
    func slowHost(minimumSpeedup: Double) -> (host: String, rank: Int, speedup: Double)? {
        guard let slow, slow.speedup >= minimumSpeedup, let host = ranks[slow.rank]?.host else { return nil }
        return (host, slow.rank, slow.speedup)
    }

    /// The hosts that hang now, or nil.
    func verdict(now: Double) -> Verdict? {
        guard let bound, now - furthestSince > bound else { return nil }
        let live = ranks.values.filter { !$0.finished }
        guard !live.isEmpty else { return nil }
        var silent: [String] = []
        var stuck: [String] = []
        var speaking: Set<String> = []
        for host in hosts {
            let own = live.filter { $0.host == host }
            guard !own.isEmpty else { continue }
            if own.allSatisfy({ now - $0.lastHeard > bound }) {
                silent.append(host)
            } else if own.contains(where: { now - $0.lastHeard <= bound && $0.arrivals < furthest && $0.idleSeconds > 3 * bound }) {
                stuck.append(host)
            } else {
                speaking.insert(host)
            }
        }
        // Someone must wait for them: with every host silent the fault is not theirs to tell
        // (the supervisor's own network, or the job ending).
        guard !(silent.isEmpty && stuck.isEmpty), !speaking.isEmpty else { return nil }
        let step = live.map(\.arrivals).max() ?? furthest
        let measured = fixedBound == nil
            ? String(format: "bound %.1f s: %.0fx the measured %.1f ms step, at least %.0f s", bound, Self.multiple,
                     (stepSeconds ?? 0) * 1e3, Self.floorSeconds)
            : String(format: "bound %.1f s: --hang-seconds", bound)
        var parts: [String] = []
        if !silent.isEmpty {
            parts.append("\(silent.joined(separator: ", ")) sent no heartbeat for over \(String(format: "%.1f", bound)) s")
        }
        if !stuck.isEmpty {
            parts.append("\(stuck.joined(separator: ", ")) answer\(stuck.count == 1 ? "s" : "") but made no step for over \(String(format: "%.1f", 3 * bound)) s")
        }
        return Verdict(
            hosts: silent + stuck,
            reason: parts.joined(separator: "; ") + " while \(speaking.sorted().joined(separator: ", ")) waited at step \(step) (\(measured))")
    }
}
