import CMPI

/// Rows of floats that all ranks of a node read and write in place: one MPI-3 shared-memory
/// window per node holding every row of the job, each rank writing its own rows, each rank
/// owning one slice of the elements (its node rank's share, the same on every node) for the
/// work that combines rows. Across nodes, `shareSlicesAcrossNodes()` fills every node's copy
/// of the other nodes' rows, slice by slice (one `MPI_Allgatherv` per node rank, over the ranks
/// of equal node rank), so afterwards every node holds every row.
///
/// The building block of the deterministic tree sum: rows are the tree's block sums, and the
/// tree's upper levels are added slice by slice, in place, in the same order on every node.
public final class NodeSharedRows {
    /// The rows of the job (every node holds all of them after `shareSlicesAcrossNodes()`).
    public let rowCount: Int
    /// Floats of a row.
    public let rowLength: Int
    /// The elements of each row this rank combines: 16-float (64-byte) aligned, so no two ranks
    /// write one cache line.
    public let slice: Range<Int>
    /// The number of nodes.
    public let nodeCount: Int
    /// The ranks of this node (the same on every node).
    public let ranksOnNode: Int
    /// Floats from one row's start to the next's (`rowLength` rounded up to 16).
    private let rowStride: Int
    private let base: UnsafeMutablePointer<Float>
    private var window: WindowHandle
    private var nodeCommunicator: CommHandle
    /// The ranks of equal node rank, one per node (nil on a single node).
    private var crossCommunicator: CommHandle
    /// `MPI_Allgatherv`'s layout over `crossCommunicator`: where each node's rows start and how
    /// many, in units of `sliceType`.
    private let nodeFirstRows: [Int32]
    private let nodeRowCounts: [Int32]
    /// One slice of one row, its extent a whole row; a float where a node has one rank (its
    /// slice is the whole row: the node's rows travel as one contiguous block).
    private var sliceType: DatatypeHandle
    private var madeSliceType = false
    private var isOpen = true

    /// Rows for `rowsOfRank` (rank r writes rows `rowsOfRank[r]`; the ranges follow each other
    /// from 0), or nil where they do not fit a node-by-node exchange: nodes with different rank
    /// counts, or a node whose ranks' rows are not one range. Collective: every rank gets rows
    /// or every rank gets nil.
    ///
    /// - Throws: `MPIError` if an MPI call fails.
    public static func make(communicator: Communicator, rowLength: Int, rowsOfRank: [Range<Int>]) throws -> NodeSharedRows? {
        precondition(rowsOfRank.count == communicator.size, "a row range per rank")
        let group = try communicator.splitByNode()
        var node = group.handle
        let (nodeSize, nodeRank) = (Int(group.size), Int(group.rank))
        let own = rowsOfRank[communicator.rank]
        // The node's rows: one range when its highest row less its lowest is the count of its ranks' rows.
        var bounds: [Int64] = [Int64(-own.lowerBound), Int64(own.upperBound)]
        var total: [Int64] = [Int64(own.count)]
        try checkMPI("MPI_Allreduce", bounds.withUnsafeMutableBufferPointer {
            MPI_Allreduce(cmpi_in_place(), $0.baseAddress, 2, Int64.mpiDatatype, cmpi_op_max(), node)
        })
        try checkMPI("MPI_Allreduce", total.withUnsafeMutableBufferPointer {
            MPI_Allreduce(cmpi_in_place(), $0.baseAddress, 1, Int64.mpiDatatype, cmpi_op_sum(), node)
        })
        let nodeRows = Int(-bounds[0])..<Int(bounds[1])
        let contiguous = nodeRows.count == Int(total[0])
        // Every node the same size, every node's rows one range.
        var verdict: [Int32] = [group.size, -group.size, contiguous ? 0 : 1]
        try communicator.allReduce(&verdict, .max)
        guard verdict[0] == -verdict[1], verdict[2] == 0 else {
            try checkMPI("MPI_Comm_free", MPI_Comm_free(&node))
            return nil
        }
        let nodes = communicator.size / nodeSize
        var cross: CommHandle = cmpi_comm_null()
        var firstRows: [Int32] = [Int32(nodeRows.lowerBound)], rowCounts: [Int32] = [Int32(nodeRows.count)]
        if nodes > 1 {
            try checkMPI(
                "MPI_Comm_split",
                MPI_Comm_split(communicator.handle, try mpiCount(nodeRank, call: "MPI_Comm_split"),
                               try mpiCount(communicator.rank, call: "MPI_Comm_split"), &cross))
            var mine: [Int32] = [Int32(nodeRows.lowerBound), Int32(nodeRows.count)]
            var all = [Int32](repeating: 0, count: 2 * nodes)
            try checkMPI("MPI_Allgather", all.withUnsafeMutableBufferPointer { all in
                mine.withUnsafeMutableBufferPointer {
                    MPI_Allgather($0.baseAddress, 2, Int32.mpiDatatype, all.baseAddress, 2, Int32.mpiDatatype, cross)
                }
            })
            firstRows = stride(from: 0, to: all.count, by: 2).map { all[$0] }
            rowCounts = stride(from: 1, to: all.count, by: 2).map { all[$0] }
        }
        return try NodeSharedRows(
            node: node, cross: cross, nodes: nodes, nodeSize: nodeSize, nodeRank: nodeRank,
            rowLength: rowLength, rowCount: rowsOfRank.last?.upperBound ?? 0, nodeFirstRows: firstRows, nodeRowCounts: rowCounts)
    }

    private init(
        node: CommHandle, cross: CommHandle, nodes: Int, nodeSize: Int, nodeRank: Int, rowLength: Int, rowCount: Int,
        nodeFirstRows: [Int32], nodeRowCounts: [Int32]
    ) throws {
        nodeCommunicator = node
        crossCommunicator = cross
        nodeCount = nodes
        ranksOnNode = nodeSize
        self.rowLength = rowLength
        self.rowCount = rowCount
        let rowStride = (max(rowLength, 1) + 15) / 16 * 16
        self.rowStride = rowStride
        let wholeRows = nodeSize == 1
        self.nodeFirstRows = try nodeFirstRows.map { wholeRows ? try mpiCount(Int($0) * rowStride, call: "MPI_Allgatherv") : $0 }
        self.nodeRowCounts = try nodeRowCounts.map { wholeRows ? try mpiCount(Int($0) * rowStride, call: "MPI_Allgatherv") : $0 }
        // The node's first rank holds every row (one array); the others map it.
        let (bytes, overflow) = (rowCount * rowStride).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow else { throw MPIError(call: "MPI_Win_allocate_shared", usage: "\(rowCount) rows overflow") }
        var ownBase: UnsafeMutableRawPointer? = nil
        var window: WindowHandle = cmpi_win_null()
        try checkMPI(
            "MPI_Win_allocate_shared",
            MPI_Win_allocate_shared(
                MPI_Aint(nodeRank == 0 ? bytes : 0), try mpiCount(MemoryLayout<Float>.stride, call: "MPI_Win_allocate_shared"),
                cmpi_info_null(), node, &ownBase, &window))
        self.window = window
        try checkMPI("MPI_Win_set_errhandler", MPI_Win_set_errhandler(window, cmpi_errors_return()))
        var segmentBytes: MPI_Aint = 0
        var unit: Int32 = 0
        var first: UnsafeMutableRawPointer? = nil
        try checkMPI("MPI_Win_shared_query", MPI_Win_shared_query(window, 0, &segmentBytes, &unit, &first))
        guard let first else { throw MPIError(call: "MPI_Win_shared_query", usage: "no rows on the node's first rank") }
        base = first.bindMemory(to: Float.self, capacity: max(rowCount * rowStride, 1))
        let chunks = (rowLength + 15) / 16
        slice = min(rowLength, nodeRank * chunks / nodeSize * 16)..<min(rowLength, (nodeRank + 1) * chunks / nodeSize * 16)
        var type: DatatypeHandle = cmpi_float()
        if nodes > 1, !slice.isEmpty, !wholeRows {
            madeSliceType = true
            var contiguous: DatatypeHandle = cmpi_float()
            try checkMPI("MPI_Type_contiguous", MPI_Type_contiguous(try mpiCount(slice.count, call: "MPI_Type_contiguous"), cmpi_float(), &contiguous))
            try checkMPI(
                "MPI_Type_create_resized",
                MPI_Type_create_resized(contiguous, 0, MPI_Aint(rowStride * MemoryLayout<Float>.stride), &type))
            try checkMPI("MPI_Type_commit", MPI_Type_commit(&type))
            try checkMPI("MPI_Type_free", MPI_Type_free(&contiguous))
        }
        sliceType = type
        try checkMPI("MPI_Win_lock_all", MPI_Win_lock_all(cmpi_mode_nocheck(), window))
        if nodeRank == 0 { base.initialize(repeating: 0, count: rowCount * rowStride) }
        try synchronize()
    }

    /// Row `index`: `[rowLength]` floats.
    public func row(_ index: Int) -> UnsafeMutablePointer<Float> {
        base + index * rowStride
    }

    /// The MPI-3 unified-memory pattern: makes this rank's stores visible, meets the node's
    /// ranks, sees theirs. Collective over the node.
    ///
    /// - Throws: `MPIError` if the synchronisation fails.
    public func synchronize() throws {
        try checkMPI("MPI_Win_sync", MPI_Win_sync(window))
        try checkMPI("MPI_Barrier", MPI_Barrier(nodeCommunicator))
        try checkMPI("MPI_Win_sync", MPI_Win_sync(window))
    }

    /// Copies this rank's slice of its node's rows to the ranks of equal node rank on the other
    /// nodes, and theirs here: afterwards every node holds the slice of every row. Call after a
    /// `synchronize()` that follows the node's writes; collective over the nodes (nothing on a
    /// single node).
    ///
    /// - Throws: `MPIError` if `MPI_Allgatherv` fails.
    public func shareSlicesAcrossNodes() throws {
        guard nodeCount > 1, !slice.isEmpty else { return }
        try nodeRowCounts.withUnsafeBufferPointer { counts in
            try nodeFirstRows.withUnsafeBufferPointer { firsts in
                try checkMPI(
                    "MPI_Allgatherv",
                    MPI_Allgatherv(
                        cmpi_in_place(), 0, cmpi_float(), base + slice.lowerBound, counts.baseAddress, firsts.baseAddress,
                        sliceType, crossCommunicator))
            }
        }
    }

    /// Frees the window, the datatype and the communicators. Collective; call before MPI_Finalize.
    ///
    /// - Throws: `MPIError` if a free fails.
    public func close() throws {
        guard isOpen else { return }
        isOpen = false
        try checkMPI("MPI_Win_unlock_all", MPI_Win_unlock_all(window))
        try checkMPI("MPI_Win_free", MPI_Win_free(&window))
        if madeSliceType { try checkMPI("MPI_Type_free", MPI_Type_free(&sliceType)) }
        try checkMPI("MPI_Comm_free", MPI_Comm_free(&nodeCommunicator))
        if crossCommunicator != cmpi_comm_null() { try checkMPI("MPI_Comm_free", MPI_Comm_free(&crossCommunicator)) }
    }
}
