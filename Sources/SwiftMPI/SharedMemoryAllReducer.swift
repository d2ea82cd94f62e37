import CMPI

/// An allreduce (sum) through MPI-3 shared-memory windows: every rank's buffer *is* its
/// segment of its node's window, so there is no copy in. Each rank sums one chunk of all its
/// node's segments (in node-rank order), and, when there are several nodes, sums that chunk
/// with the same chunk of the other nodes by `MPI_Allreduce` among the ranks of equal node
/// rank (a hierarchical allreduce: every rank of a node moves 1/ranks-per-node of the
/// buffer across the network, in parallel). Then it writes the result into every segment of
/// its node. Two barriers per call keep writers and readers apart.
///
/// Per rank that is one read and one write of the buffer within a node, against several copies
/// through message passing. `make` returns nil where it does not apply (nodes of different
/// sizes, or a single rank per node, where plain `MPI_Allreduce` is as good).
public final class SharedMemoryAllReducer {
    /// This rank's segment: write the values to sum here, read the sums after `sumInPlace`.
    public let buffer: UnsafeMutableBufferPointer<Float>
    /// The number of nodes (1: all ranks share one machine).
    public let nodeCount: Int
    /// Ranks on each node.
    public let ranksPerNode: Int
    private var window: WindowHandle
    private var nodeCommunicator: CommHandle
    /// The ranks of equal node rank, one per node (nil on a single node).
    private var crossCommunicator: CommHandle
    /// Every rank's segment on this node, by node rank.
    private let segments: [UnsafeMutablePointer<Float>]
    /// The chunk of elements this rank sums.
    private let chunk: Range<Int>
    private var isOpen = true

    /// A reducer for `count` floats, or nil where it does not apply (see the type). Collective:
    /// every rank calls it, and every rank gets a reducer or every rank gets nil.
    ///
    /// - Throws: `MPIError` if an MPI call fails.
    public static func make(communicator: Communicator, count: Int) throws -> SharedMemoryAllReducer? {
        let group = try communicator.splitByNode()
        var node = group.handle
        let (nodeSize, nodeRank) = (group.size, group.rank)
        let key = try mpiCount(communicator.rank, call: "MPI_Comm_split")
        // Every node must hold the same number of ranks (equal chunks), and more than one.
        var sizes = [nodeSize, -nodeSize]
        try communicator.allReduce(&sizes, .max)
        let uniform = sizes[0] == -sizes[1]
        guard uniform, nodeSize > 1 || Int(nodeSize) == communicator.size else {
            try checkMPI("MPI_Comm_free", MPI_Comm_free(&node))
            return nil
        }
        let nodes = communicator.size / Int(nodeSize)
        var cross: CommHandle = cmpi_comm_null()
        if nodes > 1 {
            try checkMPI(
                "MPI_Comm_split", MPI_Comm_split(communicator.handle, nodeRank, key, &cross))
        }
        return try SharedMemoryAllReducer(
            node: node, cross: cross, nodes: nodes, size: Int(nodeSize), rank: Int(nodeRank), count: count)
    }

    private init(node: CommHandle, cross: CommHandle, nodes: Int, size: Int, rank: Int, count: Int) throws {
        nodeCommunicator = node
        crossCommunicator = cross
        nodeCount = nodes
        ranksPerNode = size
        var base: UnsafeMutableRawPointer? = nil
        var window: WindowHandle = cmpi_win_null()
        // Segments are contiguous; a size rounded up to 64 bytes keeps each one cache-line
        // (and SIMD) aligned.
        let (paddedBytes, overflow) = ((max(count, 1) + 15) / 16 * 16).multipliedReportingOverflow(
            by: MemoryLayout<Float>.stride)
        guard !overflow else { throw MPIError(call: "MPI_Win_allocate_shared", usage: "\(count) floats overflow") }
        let bytes = MPI_Aint(paddedBytes)
        try checkMPI(
            "MPI_Win_allocate_shared",
            MPI_Win_allocate_shared(
                bytes, try mpiCount(MemoryLayout<Float>.stride, call: "MPI_Win_allocate_shared"),
                cmpi_info_null(), node, &base, &window))
        self.window = window
        // Windows start with MPI's errors-are-fatal handler: make their calls return codes, so
        // that checkMPI can report them like every other call.
        try checkMPI("MPI_Win_set_errhandler", MPI_Win_set_errhandler(window, cmpi_errors_return()))
        var segments: [UnsafeMutablePointer<Float>] = []
        for peer in 0..<size {
            var segmentBytes: MPI_Aint = 0
            var unit: Int32 = 0
            var peerBase: UnsafeMutableRawPointer? = nil
            try checkMPI(
                "MPI_Win_shared_query", MPI_Win_shared_query(
                    window, try mpiCount(peer, call: "MPI_Win_shared_query"), &segmentBytes, &unit, &peerBase))
            guard let peerBase else { throw MPIError(call: "MPI_Win_shared_query", usage: "no segment for rank \(peer)") }
            segments.append(peerBase.bindMemory(to: Float.self, capacity: max(count, 1)))
        }
        self.segments = segments
        buffer = UnsafeMutableBufferPointer(start: segments[rank], count: count)
        buffer.initialize(repeating: 0)
        // Chunks on 16-float (64-byte) boundaries, so no two ranks write one cache line; the
        // same ranges on every node, so equal node ranks reduce equal chunks across nodes.
        let blocks = (count + 15) / 16
        let lower = min(count, rank * blocks / size * 16)
        let upper = min(count, (rank + 1) * blocks / size * 16)
        chunk = lower..<upper
        try checkMPI("MPI_Win_lock_all", MPI_Win_lock_all(cmpi_mode_nocheck(), window))
        try synchronize()
    }

    /// Replaces every rank's `buffer` by the element-wise sum over all ranks. Collective.
    ///
    /// - Throws: `MPIError` if a synchronisation or the cross-node reduction fails.
    public func sumInPlace() throws {
        try synchronize()  // every segment written
        let first = segments[0] + chunk.lowerBound
        let length = chunk.count
        // Sum into segment 0's chunk in node-rank order ...
        for peer in 1..<segments.count where length > 0 {
            add(segments[peer] + chunk.lowerBound, into: first, count: length)
        }
        // ... with the other nodes' sums of the same chunk ...
        if crossCommunicator != cmpi_comm_null(), length > 0 {
            try checkMPI(
                "MPI_Allreduce",
                MPI_Allreduce(
                    cmpi_in_place(), first, try mpiCount(length, call: "MPI_Allreduce"), cmpi_float(),
                    cmpi_op_sum(), crossCommunicator))
        }
        // ... then copy the sums to the node's other segments.
        for peer in 1..<segments.count where length > 0 {
            (segments[peer] + chunk.lowerBound).update(from: first, count: length)
        }
        try synchronize()  // every chunk summed and spread
    }

    /// Frees the window and the communicators. Collective; call before MPI_Finalize.
    public func close() throws {
        guard isOpen else { return }
        isOpen = false
        try checkMPI("MPI_Win_unlock_all", MPI_Win_unlock_all(window))
        try checkMPI("MPI_Win_free", MPI_Win_free(&window))
        try checkMPI("MPI_Comm_free", MPI_Comm_free(&nodeCommunicator))
        if crossCommunicator != cmpi_comm_null() { try checkMPI("MPI_Comm_free", MPI_Comm_free(&crossCommunicator)) }
    }

    /// The MPI-3 unified-memory pattern: make my stores visible, meet the node, see theirs.
    private func synchronize() throws {
        try checkMPI("MPI_Win_sync", MPI_Win_sync(window))
        try checkMPI("MPI_Barrier", MPI_Barrier(nodeCommunicator))
        try checkMPI("MPI_Win_sync", MPI_Win_sync(window))
    }

    /// target[i] += source[i], eight lanes at a time.
    private func add(_ source: UnsafeMutablePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        typealias Lanes = SIMD8<Float>
        let width = MemoryLayout<Lanes>.stride
        let vectors = count / Lanes.scalarCount
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        for i in 0..<vectors {
            let offset = i * width
            let sum = to.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
                + from.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            to.storeBytes(of: sum, toByteOffset: offset, as: Lanes.self)
        }
        for i in (vectors * Lanes.scalarCount)..<count { target[i] += source[i] }
    }
}
