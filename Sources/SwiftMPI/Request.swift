import CMPI

/// A nonblocking operation in flight (`MPI_Request`).
public struct Request {
    var handle: RequestHandle

    /// Drives progress and tells whether the operation has completed (`MPI_Test`).
    ///
    /// - Throws: `MPIError` if the operation failed.
    public mutating func test() throws -> Bool {
        var flag: Int32 = 0
        try checkMPI("MPI_Test", MPI_Test(&handle, &flag, cmpi_status_ignore()))
        return flag != 0
    }

    /// Blocks until the operation has completed (`MPI_Wait`).
    ///
    /// - Throws: `MPIError` if the operation failed.
    public mutating func wait() throws {
        try checkMPI("MPI_Wait", MPI_Wait(&handle, cmpi_status_ignore()))
    }
}
