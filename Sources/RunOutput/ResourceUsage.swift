#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This process's peak resident set size in bytes (`getrusage`).
public func peakResidentBytes() -> Int {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    #if os(Linux)
    return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
    #else
    return Int(usage.ru_maxrss)  // bytes on macOS
    #endif
}
