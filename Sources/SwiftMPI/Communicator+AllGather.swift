import CMPI

/// How many values each rank contributes to an `allGather`, checked and converted for MPI once
/// (so that a per-step gather allocates nothing).
public struct AllGatherLayout: Sendable, Equatable {
    /// Values from rank r: `counts[r]`, placed at `displacements[r]` in the result.
    let counts: [Int32]
    let displacements: [Int32]
    /// All values together.
    public let total: Int

    /// - Parameter counts: `[size]` the values each rank contributes, by rank.
    /// - Throws: `MPIError` when a count or the total does not fit MPI's int.
    public init(counts: [Int]) throws {
        var displacements: [Int32] = []
        var offset = 0
        for count in counts {
            displacements.append(try mpiCount(offset, call: "MPI_Allgatherv"))
            offset += count
        }
        self.counts = try counts.map { try mpiCount($0, call: "MPI_Allgatherv") }
        self.displacements = displacements
        total = try Int(mpiCount(offset, call: "MPI_Allgatherv"))
    }
}

extension Communicator {
    /// Every rank receives every rank's values, in rank order (`MPI_Allgatherv`).
    ///
    /// - Parameters:
    ///   - values: `[layout.counts[rank]]` this rank's values.
    ///   - result: `[layout.total]`: rank r's values at `displacements[r]`.
    ///   - layout: the counts of all ranks (the same on every rank, `size` entries).
    /// - Throws: `MPIError` if the gather fails or the buffers do not fit the layout.
    public func allGather(
        _ values: UnsafeBufferPointer<Float>, into result: UnsafeMutableBufferPointer<Float>, layout: AllGatherLayout
    ) throws {
        guard layout.counts.count == size, values.count == Int(layout.counts[rank]), result.count == layout.total else {
            throw MPIError(
                call: "MPI_Allgatherv",
                usage: "\(values.count) values and room for \(result.count) against a layout of \(layout.counts.count) ranks")
        }
        try layout.counts.withUnsafeBufferPointer { counts in
            try layout.displacements.withUnsafeBufferPointer { displacements in
                try checkMPI(
                    "MPI_Allgatherv",
                    MPI_Allgatherv(
                        values.baseAddress, layout.counts[rank], Float.mpiDatatype, result.baseAddress,
                        counts.baseAddress, displacements.baseAddress, Float.mpiDatatype, handle))
            }
        }
    }
}
