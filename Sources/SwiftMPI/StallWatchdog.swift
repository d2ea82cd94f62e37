import CMPI
import CMPIExtras

/// Ends the whole job when this rank's loop makes no progress for a while: a stalled or dead
/// peer otherwise leaves every other rank waiting in the next collective forever.
///
/// The loop calls `beat(epoch:step:)` at every step (a clock read and two relaxed atomic
/// stores: no collective, no allocation) and `arrive()` just before it waits for the step's
/// collective (one relaxed store into this rank's cache line of the node's arrival board). A
/// thread checks five times a second; when the last beat is older than the limit (plus rank x
/// 0.5 s, so the lowest waiting rank speaks first) it prints one line naming the epoch, the step
/// and the ranks of its node that did not arrive, and calls `MPI_Abort`, which ends every rank.
public final class StallWatchdog {
    private var window: WindowHandle = cmpi_win_null()
    private var nodeCommunicator: CommHandle = cmpi_comm_null()
    private var isOpen = true

    /// Starts watching with a limit of `seconds` (0: none, heartbeats only). Collective: every
    /// rank calls it (it makes the node's arrival board). When the thread cannot be started the
    /// run goes on unwatched.
    ///
    /// - Parameters:
    ///   - seconds: the limit (0: none, heartbeats only); `setLimit(seconds:)` changes it later.
    ///   - heartbeat: where the thread sends this rank's heartbeat datagrams (nil: nowhere).
    ///   - communicator: the job's ranks (the node's share the arrival board).
    /// - Throws: `MPIError` if the board's communicator or window cannot be made or the
    ///   heartbeat's address cannot be resolved.
    public init(seconds: Double, heartbeat: (host: String, port: Int)? = nil, communicator: Communicator) throws {
        if let heartbeat, cmpi_watchdog_set_heartbeat(heartbeat.host, Int32(heartbeat.port)) != 0 {
            throw MPIError(call: "cmpi_watchdog_set_heartbeat", usage: "cannot resolve the heartbeat address \(heartbeat.host):\(heartbeat.port)")
        }
        let node = try communicator.splitByNode()
        nodeCommunicator = node.handle
        let (nodeSize, nodeRank) = (node.size, node.rank)
        let slotBytes = cmpi_watchdog_board_slot_bytes()
        var base: UnsafeMutableRawPointer? = nil
        try checkMPI(
            "MPI_Win_allocate_shared",
            MPI_Win_allocate_shared(
                MPI_Aint(slotBytes), slotBytes, cmpi_info_null(), nodeCommunicator, &base, &window))
        try checkMPI("MPI_Win_set_errhandler", MPI_Win_set_errhandler(window, cmpi_errors_return()))
        // Slots are contiguous in node-rank order: the board starts at node rank 0's slot.
        var firstBytes: MPI_Aint = 0
        var unit: Int32 = 0
        var first: UnsafeMutableRawPointer? = nil
        try checkMPI("MPI_Win_shared_query", MPI_Win_shared_query(window, 0, &firstBytes, &unit, &first))
        guard let first else { throw MPIError(call: "MPI_Win_shared_query", usage: "no board slot for node rank 0") }
        cmpi_watchdog_set_board(first, nodeSize, nodeRank, Int(nodeSize) == communicator.size ? 1 : 0)
        let worldRank = try mpiCount(communicator.rank, call: "cmpi_watchdog_start")
        cmpi_watchdog_register(worldRank)
        try checkMPI("MPI_Barrier", MPI_Barrier(nodeCommunicator))  // every slot registered
        _ = cmpi_watchdog_start(seconds, worldRank)
    }

    /// Records that the loop reached `epoch`, `step`.
    @inline(__always)
    public static func beat(epoch: Int, step: Int) {
        cmpi_watchdog_beat(Int64(epoch), Int64(step))
    }

    /// Names in the heartbeats the rank found slow (nil: none) and how many times faster the job
    /// would step without it.
    public static func setSlowRank(_ rank: Int?, speedup: Double) {
        cmpi_watchdog_set_slow_rank(Int32(clamping: rank ?? -1), speedup)
    }

    /// Changes the limit while the watchdog runs (0: none).
    public static func setLimit(seconds: Double) {
        cmpi_watchdog_set_limit(seconds)
    }

    /// Records that this rank reached the step's collective (call just before waiting in it).
    @inline(__always)
    public static func arrive() {
        cmpi_watchdog_arrive()
    }

    /// Stops watching (local: joins the thread). Safe to call more than once.
    public func stop() {
        cmpi_watchdog_stop()
    }

    /// Stops watching and frees the arrival board. Collective: call it on every rank, after
    /// the loop and before `MPI_Finalize` (never on a path where one rank failed alone).
    ///
    /// - Throws: `MPIError` if freeing the window or communicator fails.
    public func close() throws {
        stop()
        guard isOpen else { return }
        isOpen = false
        try checkMPI("MPI_Win_free", MPI_Win_free(&window))
        try checkMPI("MPI_Comm_free", MPI_Comm_free(&nodeCommunicator))
    }
}
