import Foundation

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

/// Seconds since this process started (Linux: /proc/self/stat's start time against
/// /proc/uptime; nil where those cannot be read), for times "from launch" that include MPI's
/// start-up and everything before the first line of Swift.
public func processAgeSeconds() -> Double? {
    #if os(Linux)
    guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
          let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
          let uptime = uptimeText.split(separator: " ").first.flatMap({ Double($0) }),
          let afterName = stat.lastIndex(of: ")")
    else { return nil }
    // Fields after the ")" that ends the command name: state is field 3, starttime field 22.
    let fields = stat[stat.index(after: afterName)...].split(separator: " ")
    guard fields.count > 19, let startTicks = Double(fields[19]) else { return nil }
    let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    return ticksPerSecond > 0 ? max(0, uptime - startTicks / ticksPerSecond) : nil
    #else
    return nil
    #endif
}
