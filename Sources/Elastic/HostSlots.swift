import Foundation

/// A host and how many ranks it runs: Horovod's `host:slots`, or a hostfile's `host slots=N`.
public struct HostSlots: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var slots: Int

    public init(host: String, slots: Int) {
        self.host = host
        self.slots = slots
    }

    public var description: String { "\(host):\(slots)" }

    /// The hosts in `text`, one a line or separated by commas: `host:slots`, `host slots=N`,
    /// or `host` (`defaultSlots`). `#` starts a comment; a host named twice is kept once (the
    /// first).
    ///
    /// - Throws: `ElasticError.badHostLine` for a line that is none of these.
    public static func parse(_ text: String, defaultSlots: Int = 1, source: String) throws -> [HostSlots] {
        var hosts: [HostSlots] = []
        let entries = text.split(whereSeparator: { $0 == "\n" || $0 == "," })
        for rawEntry in entries {
            let entry = rawEntry.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if entry.isEmpty { continue }
            let words = entry.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            var host = words[0]
            var slots = defaultSlots
            if let colon = host.lastIndex(of: ":") {
                let count = host[host.index(after: colon)...]
                guard let value = Int(count), value > 0 else { throw ElasticError.badHostLine(source: source, line: entry) }
                slots = value
                host = String(host[..<colon])
            }
            for word in words.dropFirst() {
                let parts = word.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, ["slots", "max_slots", "max-slots"].contains(parts[0]) else {
                    throw ElasticError.badHostLine(source: source, line: entry)
                }
                guard parts[0] == "slots" else { continue }
                guard let value = Int(parts[1]), value > 0 else { throw ElasticError.badHostLine(source: source, line: entry) }
                slots = value
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-._".contains($0) }) else {
                throw ElasticError.badHostLine(source: source, line: entry)
            }
            if !hosts.contains(where: { $0.host == host }) { hosts.append(HostSlots(host: host, slots: slots)) }
        }
        return hosts
    }

    /// An Open MPI hostfile of `hosts` (`host slots=N` lines).
    public static func hostfile(_ hosts: [HostSlots]) -> String {
        hosts.map { "\($0.host) slots=\($0.slots)\n" }.joined()
    }
}
