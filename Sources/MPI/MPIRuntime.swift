import CMPI

/// Process-wide MPI life cycle: `MPI_Init_thread` once, `MPI_Finalize` once.
///
/// MPI may be initialised only once per process, so this type keeps the state; calling
/// `initialize()` again is a no-op. Without `mpirun` the process runs as a singleton world
/// of size 1 (what the unit tests use).
public enum MPIRuntime {
    /// Initialises MPI (thread level FUNNELED: only the main thread calls MPI) and makes every
    /// error on the world communicator return a code instead of aborting, so that each call
    /// can be checked and reported by name.
    ///
    /// - Throws: `MPIError` if initialisation fails.
    public static func initialize() throws {
        if isInitialized { return }
        var provided: Int32 = 0
        try checkMPI("MPI_Init_thread", MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided))
        try checkMPI(
            "MPI_Comm_set_errhandler",
            MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()))
    }

    /// Whether `MPI_Init` has run in this process.
    public static var isInitialized: Bool {
        var flag: Int32 = 0
        MPI_Initialized(&flag)
        return flag != 0
    }

    /// Whether `MPI_Finalize` has run in this process.
    public static var isFinalized: Bool {
        var flag: Int32 = 0
        MPI_Finalized(&flag)
        return flag != 0
    }

    /// Finalises MPI if it was initialised and not yet finalised.
    ///
    /// - Throws: `MPIError` if `MPI_Finalize` fails.
    public static func finalize() throws {
        guard isInitialized, !isFinalized else { return }
        try checkMPI("MPI_Finalize", MPI_Finalize())
    }
}
