import Foundation
import Testing

/// A TCP socket listening on a free loopback port: connections complete in the kernel's backlog
/// until the test accepts them (or never, like a frozen host's service). Close it when done.
func loopbackListener() throws -> (descriptor: Int32, port: Int) {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
    }
    guard listener >= 0, bound == 0, named == 0, listen(listener, 4) == 0 else {
        if listener >= 0 { close(listener) }
        throw LoopbackError.cannotListen(errno)
    }
    return (listener, Int(UInt16(bigEndian: address.sin_port)))
}

enum LoopbackError: Error {
    case cannotListen(Int32)
}
