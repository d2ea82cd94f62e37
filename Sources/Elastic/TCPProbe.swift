import Foundation

/// Whether a host answers: a TCP connection to one of its ports within a bound (sshd on 22
/// for the compose workers, slurmd on 6818 for Slurm nodes). A host whose container died stops
/// answering at once (no route, refused) or within the bound. A frozen host (`docker pause`, a
/// stopped VM) still completes the handshake in its kernel: only a service that speaks first
/// (sshd's greeting) tells it apart, with `greeting`.
public enum TCPProbe {
    /// Whether `host:port` accepts a connection within `timeoutSeconds`, and with `greeting`
    /// also sends its first bytes within that time.
    public static func answers(host: String, port: Int, timeoutSeconds: Double = 1, greeting: Bool = false) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(list) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        if connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { return false }
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, Int32(timeoutSeconds * 1000)) == 1 else { return false }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { return false }
        }
        guard greeting else { return true }
        let remaining = max(0, deadline.timeIntervalSinceNow)
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(remaining * 1000)) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, 0) == 1
    }
}
