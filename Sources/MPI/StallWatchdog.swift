import CMPIExtras

/// Ends the whole job when this rank's loop makes no progress for a while: a stalled or dead
/// peer otherwise leaves every other rank waiting in the next collective forever.
///
/// The loop calls `beat(epoch:step:)` at every step (a clock read and two relaxed atomic
/// stores: no collective, no allocation). A thread checks five times a second; when the last
/// beat is older than the limit (plus rank x 0.5 s, so the lowest waiting rank speaks first) it
/// prints one line naming the epoch and step and calls `MPI_Abort`, which ends every rank.
public enum StallWatchdog {
    /// Starts watching with a limit of `seconds`; false when the thread could not be started
    /// (the run then goes on unwatched).
    @discardableResult
    public static func start(seconds: Double, rank: Int) -> Bool {
        cmpi_watchdog_start(seconds, Int32(clamping: rank)) == 0
    }

    /// Records that the loop reached `epoch`, `step`.
    @inline(__always)
    public static func beat(epoch: Int, step: Int) {
        cmpi_watchdog_beat(Int64(epoch), Int64(step))
    }

    /// Stops watching (a no-op when not started).
    public static func stop() {
        cmpi_watchdog_stop()
    }
}
