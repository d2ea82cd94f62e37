import CMPI

/// Rows of floats that all ranks of a node read and write in place: one MPI-3 shared-memory
/// window per node holding every row of the job, each rank writing its own rows, each rank
/// owning one slice of the elements (its node rank's share, the same on every node) for the
/// work that combines rows. Across nodes, `exchangeCrossSlices()` brings each node the other
/// nodes' rows of its own part of the slice (`crossSlice`, 1/nodes of it; point to point over
/// the ranks of equal node rank), whose combination `gatherAcrossNodes(row:)` then shares: a
/// reduce-scatter and an all-gather, as an allreduce does them.
///
/// The building block of the deterministic tree sum: rows are the tree's block sums, and the
/// tree's upper levels are added slice by slice, in place, in the same order on every node.
public final class NodeSharedRows {
    /// The rows of the job (each node writes its own; `exchangeCrossSlices()` brings the others' parts).
    public let rowCount: Int
    /// Floats of a row.
    public let rowLength: Int
    /// The elements of each row this rank combines: 16-float (64-byte) aligned, so no two ranks
    /// write one cache line.
    public let slice: Range<Int>
    /// The part of `slice` this node combines where the work is split across nodes
    /// (`exchangeCrossSlices()`): 1/nodes of it, 16-float aligned; `slice` on one node.
    public let crossSlice: Range<Int>
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
    /// `exchangeCrossSlices()` with each other node: this node's rows of that node's part of the
    /// slice (sent), that node's rows of this node's part (received), where each starts, and the
    /// other node's rank in `crossCommunicator`.
    private struct CrossPeer {
        let rank: Int32
        let sendType: DatatypeHandle?
        let sendOffset: Int
        let receiveType: DatatypeHandle?
        let receiveOffset: Int
    }
    private var crossPeers: [CrossPeer] = []
    private let crossRequests: UnsafeMutablePointer<RequestHandle>
    /// `gatherAcrossNodes(row:)`'s layout: each node's part of the slice, from the slice's start.
    private let crossCounts: [Int32]
    private let crossOffsets: [Int32]
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
        try checkMPI("MPI_Win_lock_all", MPI_Win_lock_all(cmpi_mode_nocheck(), window))
        // Each node's part of the slice (every rank of equal node rank has the same slice).
        let ownSlice = slice, sliceChunks = (ownSlice.count + 15) / 16
        let parts = (0..<nodes).map { node in
            let start = ownSlice.lowerBound + node * sliceChunks / nodes * 16
            let end = ownSlice.lowerBound + (node + 1) * sliceChunks / nodes * 16
            return min(ownSlice.upperBound, start)..<min(ownSlice.upperBound, end)
        }
        var crossRank: Int32 = 0
        if nodes > 1 { try checkMPI("MPI_Comm_rank", MPI_Comm_rank(cross, &crossRank)) }
        let me = Int(crossRank)
        crossSlice = parts[me]
        crossCounts = try parts.map { try mpiCount($0.count, call: "MPI_Allgatherv") }
        crossOffsets = try parts.map { try mpiCount($0.lowerBound - ownSlice.lowerBound, call: "MPI_Allgatherv") }
        crossRequests = .allocate(capacity: max(2 * (nodes - 1), 1))
        crossRequests.initialize(repeating: cmpi_request_null(), count: max(2 * (nodes - 1), 1))
        /// `rows` rows of `length` floats, a row stride apart (nil: nothing to move).
        func rowsType(_ rows: Int, _ length: Int) throws -> DatatypeHandle? {
            guard rows > 0, length > 0 else { return nil }
            var type: DatatypeHandle = cmpi_float()
            try checkMPI("MPI_Type_vector", MPI_Type_vector(
                try mpiCount(rows, call: "MPI_Type_vector"), try mpiCount(length, call: "MPI_Type_vector"),
                try mpiCount(rowStride, call: "MPI_Type_vector"), cmpi_float(), &type))
            try checkMPI("MPI_Type_commit", MPI_Type_commit(&type))
            return type
        }
        for peer in 0..<nodes where peer != me {
            crossPeers.append(CrossPeer(
                rank: Int32(peer),
                sendType: try rowsType(Int(nodeRowCounts[me]), parts[peer].count),
                sendOffset: Int(nodeFirstRows[me]) * rowStride + parts[peer].lowerBound,
                receiveType: try rowsType(Int(nodeRowCounts[peer]), parts[me].count),
                receiveOffset: Int(nodeFirstRows[peer]) * rowStride + parts[me].lowerBound))
        }
        if nodeRank == 0 { base.initialize(repeating: 0, count: rowCount * rowStride) }
        try synchronize()
    }

    deinit {
        crossRequests.deallocate()
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

    /// Brings this node the other nodes' rows of `crossSlice` and sends them this node's rows of
    /// theirs (point to point over the ranks of equal node rank): afterwards this rank can
    /// combine every row on `crossSlice`. Call after a `synchronize()` that follows the node's
    /// writes; collective over the nodes (nothing on a single node).
    ///
    /// - Throws: `MPIError` if a send, receive or wait fails.
    public func exchangeCrossSlices() throws {
        guard nodeCount > 1 else { return }
        var posted = 0
        for peer in crossPeers {
            if let type = peer.receiveType {
                try checkMPI("MPI_Irecv", MPI_Irecv(base + peer.receiveOffset, 1, type, peer.rank, 0, crossCommunicator, crossRequests + posted))
                posted += 1
            }
            if let type = peer.sendType {
                try checkMPI("MPI_Isend", MPI_Isend(base + peer.sendOffset, 1, type, peer.rank, 0, crossCommunicator, crossRequests + posted))
                posted += 1
            }
        }
        try checkMPI("MPI_Waitall", MPI_Waitall(Int32(posted), crossRequests, cmpi_statuses_ignore()))
    }

    /// Shares row `row`'s `crossSlice`, combined on each node, so that every node holds the row's
    /// whole `slice` (one `MPI_Allgatherv` in place over the ranks of equal node rank). Call
    /// after combining; collective over the nodes (nothing on a single node).
    ///
    /// - Throws: `MPIError` if `MPI_Allgatherv` fails.
    public func gatherAcrossNodes(row index: Int) throws {
        guard nodeCount > 1, !slice.isEmpty else { return }
        try crossCounts.withUnsafeBufferPointer { counts in
            try crossOffsets.withUnsafeBufferPointer { offsets in
                try checkMPI(
                    "MPI_Allgatherv",
                    MPI_Allgatherv(
                        cmpi_in_place(), 0, cmpi_float(), row(index) + slice.lowerBound, counts.baseAddress, offsets.baseAddress,
                        cmpi_float(), crossCommunicator))
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
        for peer in crossPeers {
            for case var type? in [peer.sendType, peer.receiveType] { try checkMPI("MPI_Type_free", MPI_Type_free(&type)) }
        }
        try checkMPI("MPI_Comm_free", MPI_Comm_free(&nodeCommunicator))
        if crossCommunicator != cmpi_comm_null() { try checkMPI("MPI_Comm_free", MPI_Comm_free(&crossCommunicator)) }
    }
}
