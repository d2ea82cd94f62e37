import Foundation

/// One rank's heartbeat datagram (sent by its stall watchdog thread five times a second under
/// `--heartbeat`): `mnist-mpi-heartbeat 1 rank=R epoch=E step=S arrivals=A idle_ms=I
/// finished=F slow_rank=S speedup_milli=M host=H` (S -1: no rank found slow; M: how many
/// thousandths faster the job would step without rank S).
struct Heartbeat: Equatable, Sendable {
    var rank: Int
    var epoch: Int
    var step: Int
    /// Step collectives this rank has reached in this launch.
    var arrivals: Int
    /// Milliseconds since the rank's loop last moved (the wait in a collective included).
    var idleMilliseconds: Int
    /// The rank's last heartbeat: its loop is over.
    var finished: Bool
    /// The rank the loop found slow (nil: none), and how many times faster the job would step
    /// without it.
    var slowRank: Int?
    var speedupWithoutSlowRank: Double
    /// The rank's host name (`gethostname`).
    var hostName: String

    /// Reads one datagram; nil for anything else.
    init?(_ text: String) {
        let words = text.split(separator: " ")
        guard words.count >= 2, words[0] == "mnist-mpi-heartbeat", words[1] == "1" else { return nil }
        var fields: [Substring: Substring] = [:]
        for word in words.dropFirst(2) {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let rank = fields["rank"].flatMap({ Int($0) }), let epoch = fields["epoch"].flatMap({ Int($0) }),
              let step = fields["step"].flatMap({ Int($0) }), let arrivals = fields["arrivals"].flatMap({ Int($0) }),
              let idle = fields["idle_ms"].flatMap({ Int($0) }), let finished = fields["finished"],
              let host = fields["host"] else { return nil }
        self.rank = rank
        self.epoch = epoch
        self.step = step
        self.arrivals = arrivals
        idleMilliseconds = idle
        self.finished = finished == "1"
        let slow = fields["slow_rank"].flatMap { Int($0) } ?? -1
        slowRank = slow >= 0 ? slow : nil
        speedupWithoutSlowRank = Double(fields["speedup_milli"].flatMap { Int($0) } ?? 0) / 1000
        hostName = String(host)
    }
}

/// The supervisor's end of the heartbeat channel: a UDP socket on every interface, a fresh one
/// (a new port) for each launch, so a rank of an earlier launch that wakes up (a host unpaused)
/// cannot be taken for one of this launch.
final class HeartbeatListener {
    private let descriptor: Int32
    /// The port the socket listens on.
    let port: Int

    /// - Throws: `ElasticError.heartbeatFailed` when no socket can be made.
    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ElasticError.heartbeatFailed(reason: String(cString: strerror(errno))) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = INADDR_ANY
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ElasticError.heartbeatFailed(reason: reason)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    /// Every datagram that has arrived, with the sender's IPv4 address (dotted).
    func receive() -> [(heartbeat: Heartbeat, sender: String)] {
        var received: [(Heartbeat, String)] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            var sender = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &sender) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count > 0 else { return received }
            if let heartbeat = Heartbeat(String(decoding: buffer[..<count], as: UTF8.self)) {
                received.append((heartbeat, Self.dotted(sender.sin_addr)))
            }
        }
    }

    /// This machine's address as seen from `host` (the source address of a route to it), for
    /// the ranks to send to; nil when `host` cannot be resolved or reached.
    static func ownAddress(towards host: String) -> String? {
        guard let target = Self.addresses(of: host).first else { return nil }
        let probe = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard probe >= 0 else { return nil }
        defer { close(probe) }
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = UInt16(9).bigEndian
        guard inet_pton(AF_INET, target, &remote.sin_addr) == 1 else { return nil }
        // connect on a datagram socket only picks the route: nothing is sent.
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) }
        }
        return named == 0 ? dotted(local.sin_addr) : nil
    }

    /// The IPv4 addresses `host` resolves to (dotted; empty when it does not resolve).
    static func addresses(of host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var found: [String] = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ai_addr {
                let ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                let text = dotted(ipv4)
                if !found.contains(text) { found.append(text) }
            }
            entry = current.pointee.ai_next
        }
        return found
    }

    private static func dotted(_ address: in_addr) -> String {
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        var copy = address
        inet_ntop(AF_INET, &copy, &text, socklen_t(text.count))
        return String(cString: text)
    }
}
