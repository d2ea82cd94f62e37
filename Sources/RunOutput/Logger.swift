#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place the library writes to the terminal: progress on rank 0's stdout, errors on
/// stderr. Other ranks stay silent so the job prints each line once.
public final class Logger: @unchecked Sendable {
    /// Whether this process prints progress (rank 0).
    public let isPrinting: Bool
    /// Whether a live status line may be drawn (a terminal is watching).
    public let showsLiveLine: Bool
    private var liveLineShown = false

    public init(isPrinting: Bool, showsLiveLine: Bool = false) {
        self.isPrinting = isPrinting
        self.showsLiveLine = isPrinting && showsLiveLine
    }

    /// Whether this process's stdout is a terminal.
    public static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }

    /// A line on stdout (rank 0 only), flushed at once so mpirun shows it live.
    public func info(_ line: String) {
        guard isPrinting else { return }
        clearLiveLine()
        fputs(line + "\n", stdout)
        fflush(stdout)
    }

    /// Redraws the live status line (carriage return, no newline); nothing unless a terminal
    /// is watching.
    public func live(_ line: String) {
        guard showsLiveLine else { return }
        fputs("\r\u{1B}[K" + line, stdout)
        fflush(stdout)
        liveLineShown = true
    }

    /// Removes the live status line, if one is drawn.
    public func clearLiveLine() {
        guard liveLineShown else { return }
        fputs("\r\u{1B}[K", stdout)
        liveLineShown = false
    }

    /// An error line on stderr, from whichever rank calls it.
    public static func error(_ line: String) {
        fputs("error: " + line + "\n", stderr)
        fflush(stderr)
    }
}
