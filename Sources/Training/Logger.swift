#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place the library writes to the terminal: progress on rank 0's stdout, errors on
/// stderr. Other ranks stay silent so the job prints each line once.
public struct Logger: Sendable {
    /// Whether this process prints progress (rank 0).
    public let isPrinting: Bool

    public init(isPrinting: Bool) {
        self.isPrinting = isPrinting
    }

    /// A progress line on stdout (rank 0 only), flushed at once so mpirun shows it live.
    public func info(_ line: String) {
        guard isPrinting else { return }
        fputs(line + "\n", stdout)
        fflush(stdout)
    }

    /// An error line on stderr, from whichever rank calls it.
    public static func error(_ line: String) {
        fputs("error: " + line + "\n", stderr)
        fflush(stderr)
    }
}
