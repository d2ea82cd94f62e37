import CMPI

/// A group of ranks that take part in collectives together (today: the world).
///
/// Every collective method must be called by every rank of the communicator, in the same
/// order; a collective that only some ranks reach hangs the job.
public struct Communicator: @unchecked Sendable {
    let handle: MPI_Comm

    /// This process's rank, `0 ..< size`.
    public let rank: Int
    /// The number of ranks.
    public let size: Int

    /// All processes of the job (`MPI_COMM_WORLD`). MPI must be initialised first.
    ///
    /// - Throws: `MPIError` if rank or size cannot be read (e.g. MPI is not initialised).
    public static func world() throws -> Communicator {
        guard try MPIRuntime.isInitialized else {
            throw MPIError(call: "Communicator.world", usage: "MPIRuntime.initialize() was not called")
        }
        return try Communicator(handle: cmpi_comm_world())
    }

    init(handle: MPI_Comm) throws {
        var rank: Int32 = 0
        var size: Int32 = 0
        try checkMPI("MPI_Comm_rank", MPI_Comm_rank(handle, &rank))
        try checkMPI("MPI_Comm_size", MPI_Comm_size(handle, &size))
        self.handle = handle
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// Whether this is rank 0, the rank that prints and writes files.
    public var isRoot: Bool { rank == 0 }

    /// Blocks until every rank has called it.
    ///
    /// - Throws: `MPIError` if `MPI_Barrier` fails.
    public func barrier() throws {
        try checkMPI("MPI_Barrier", MPI_Barrier(handle))
    }

    /// Ends every rank of the job at once with `code` (`MPI_Abort`). Use it when one rank has
    /// found an error that the others cannot know of, so that no rank waits forever.
    public func abort(code: Int32) -> Never {
        MPI_Abort(handle, code)
        // MPI_Abort does not return in OpenMPI; exit in case an implementation does.
        exit(code)
    }

    /// Wall-clock seconds since an arbitrary point (`MPI_Wtime`).
    public static func wallTime() -> Double { MPI_Wtime() }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
