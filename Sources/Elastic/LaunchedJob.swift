import Foundation

/// One launch of the job: the launcher (mpirun, srun, a script) in a process group of its
/// own, so that a stop reaches it and everything it started, and the terminal's Ctrl-C reaches
/// only the supervisor (which passes it on).
final class LaunchedJob {
    let processID: pid_t
    private(set) var exitStatus: Int32? = nil

    /// Starts `arguments[0]` (found on PATH) with the supervisor's environment and output.
    ///
    /// - Throws: `ElasticError.launchFailed`.
    init(_ arguments: [String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        // The child starts with default handlers and nothing blocked, whatever the supervisor set.
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, arguments[0], nil, &attributes, cArguments, environ)
        guard result == 0 else {
            throw ElasticError.launchFailed(program: arguments[0], reason: String(cString: strerror(result)))
        }
        processID = pid
    }

    /// Whether the launcher has ended (then `exitStatus` holds its status; 128+N for signal N).
    func hasEnded() -> Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        let result = waitpid(processID, &status, WNOHANG)
        guard result == processID else { return false }
        let signal = status & 0x7f
        exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return true
    }

    /// Sends `signal` to the launcher alone: mpirun and srun pass SIGTERM on to every rank,
    /// which then stop after the same step with a checkpoint. (The group would include
    /// mpirun's ssh clients, whose end would cut the remote ranks off before they stop.)
    func signalLauncher(_ signal: Int32) {
        kill(processID, signal)
    }

    /// Kills the launcher's whole process group (ssh clients, local ranks and all).
    func killGroup() {
        kill(-processID, SIGKILL)
    }
}
