import CMPI

extension Communicator {
    /// Combines `buffer` element-wise over all ranks, in place (`MPI_Allreduce` with
    /// `MPI_IN_PLACE`): afterwards every rank holds the same result.
    ///
    /// - Parameters:
    ///   - buffer: `[n]` values; every rank passes the same `n`.
    ///   - operation: sum, average, max or min.
    /// - Throws: `MPIError` if the reduction fails or `n` exceeds `Int32.max`.
    public func allReduce<T: MPIScalar>(
        _ buffer: UnsafeMutableBufferPointer<T>, _ operation: ReductionOperation
    ) throws {
        guard buffer.count > 0, let base = buffer.baseAddress else { return }
        let count = try mpiCount(buffer.count, call: "MPI_Allreduce")
        try checkMPI(
            "MPI_Allreduce",
            MPI_Allreduce(cmpi_in_place(), base, count, T.mpiDatatype, operation.mpiOp, handle))
        if operation == .average, size > 1 {
            for index in buffer.indices { buffer[index] = buffer[index].divided(by: size) }
        }
    }

    /// Combines an array element-wise over all ranks, in place. See `allReduce(_:_:)`.
    ///
    /// - Parameters:
    ///   - values: `[n]` values; every rank passes the same `n`.
    ///   - operation: sum, average, max or min.
    /// - Throws: `MPIError` if the reduction fails.
    public func allReduce<T: MPIScalar>(_ values: inout [T], _ operation: ReductionOperation) throws {
        try values.withUnsafeMutableBufferPointer { try allReduce($0, operation) }
    }

    /// Copies `buffer` from `root` to every other rank (`MPI_Bcast`).
    ///
    /// - Parameters:
    ///   - buffer: `[n]` values; every rank passes the same `n`.
    ///   - root: the rank whose values everyone receives.
    /// - Throws: `MPIError` if the broadcast fails.
    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws {
        guard buffer.count > 0, let base = buffer.baseAddress else { return }
        let count = try mpiCount(buffer.count, call: "MPI_Bcast")
        try checkMPI("MPI_Bcast", MPI_Bcast(base, count, T.mpiDatatype, try mpiCount(root, call: "MPI_Bcast"), handle))
    }

    /// Copies an array from `root` to every other rank. See `broadcast(_:root:)`.
    public func broadcast<T: MPIScalar>(_ values: inout [T], root: Int = 0) throws {
        try values.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
    }

    /// Starts a nonblocking in-place sum over all ranks (`MPI_Iallreduce`). The buffer must
    /// stay alive and untouched until the returned request completes.
    ///
    /// - Parameters:
    ///   - buffer: `[n]` values; every rank passes the same `n`.
    ///   - operation: sum, max or min (average is not available nonblocking; scale afterwards).
    /// - Returns: the request to `wait()` on.
    /// - Throws: `MPIError` if the reduction cannot be started.
    public func startAllReduce<T: MPIScalar>(
        _ buffer: UnsafeMutableBufferPointer<T>, _ operation: ReductionOperation
    ) throws -> Request {
        guard operation != .average else {
            throw MPIError(call: "MPI_Iallreduce", usage: "average is not supported nonblocking")
        }
        var request: RequestHandle = cmpi_request_null()
        guard buffer.count > 0, let base = buffer.baseAddress else { return Request(handle: request) }
        let count = try mpiCount(buffer.count, call: "MPI_Iallreduce")
        try checkMPI(
            "MPI_Iallreduce",
            MPI_Iallreduce(
                cmpi_in_place(), base, count, T.mpiDatatype, operation.mpiOp, handle, &request))
        return Request(handle: request)
    }
}

extension Communicator {
    /// Collects every rank's `values` on `root` (`MPI_Gather`), in rank order.
    ///
    /// - Parameters:
    ///   - values: `[n]` values; every rank passes the same `n`.
    ///   - root: the rank that receives.
    /// - Returns: on `root`, `[size × n]` (rank r's values at `r*n ..< (r+1)*n`); elsewhere `[]`.
    /// - Throws: `MPIError` if the gather fails or a count does not fit MPI's int.
    public func gather<T: MPIScalar>(_ values: [T], root: Int = 0) throws -> [T] {
        let count = try mpiCount(values.count, call: "MPI_Gather")
        let rootRank = try mpiCount(root, call: "MPI_Gather")
        let (total, overflow) = values.count.multipliedReportingOverflow(by: size)
        guard !overflow else { throw MPIError(call: "MPI_Gather", usage: "\(values.count) x \(size) values overflow") }
        var gathered = [T](repeating: .zero, count: rank == root ? total : 0)
        try values.withUnsafeBufferPointer { send in
            try gathered.withUnsafeMutableBufferPointer { receive in
                try checkMPI(
                    "MPI_Gather",
                    MPI_Gather(
                        send.baseAddress, count, T.mpiDatatype, receive.baseAddress, count, T.mpiDatatype,
                        rootRank, handle))
            }
        }
        return gathered
    }
}

extension Communicator {
    /// Hands rank r the r-th slice of `values` on `root` (`MPI_Scatter`).
    ///
    /// - Parameters:
    ///   - values: on `root`, `[size × count]` (rank r's slice at `r*count ..< (r+1)*count`);
    ///     ignored elsewhere.
    ///   - count: the slice length, the same on every rank.
    ///   - root: the rank that sends.
    /// - Returns: `[count]` this rank's slice.
    /// - Throws: `MPIError` if the scatter fails, a count does not fit MPI's int, or `values`
    ///   on `root` is not `size × count` long.
    public func scatter<T: MPIScalar>(_ values: [T], count: Int, root: Int = 0) throws -> [T] {
        let narrowCount = try mpiCount(count, call: "MPI_Scatter")
        let rootRank = try mpiCount(root, call: "MPI_Scatter")
        if rank == root {
            let (total, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, values.count == total else {
                throw MPIError(call: "MPI_Scatter", usage: "root holds \(values.count) values for \(size) x \(count)")
            }
        }
        var slice = [T](repeating: .zero, count: count)
        try values.withUnsafeBufferPointer { send in
            try slice.withUnsafeMutableBufferPointer { receive in
                try checkMPI(
                    "MPI_Scatter",
                    MPI_Scatter(
                        send.baseAddress, narrowCount, T.mpiDatatype, receive.baseAddress, narrowCount, T.mpiDatatype,
                        rootRank, handle))
            }
        }
        return slice
    }
}
