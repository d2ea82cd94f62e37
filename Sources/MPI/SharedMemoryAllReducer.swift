import CMPI

/// An allreduce (sum) for ranks that share one machine, through an MPI-3 shared-memory window
/// instead of message passing: every rank's buffer *is* its segment of the window, so there
/// is no copy in; each rank sums one chunk of all segments (in rank order, so every element
/// is added in the same order whatever the rank) and writes the result into every segment.
/// Two barriers per call keep writers and readers apart.
///
/// Per rank that is one read and one write of the buffer, against several copies through
/// message passing. Only for ranks on one node: `make` returns nil otherwise.
public final class SharedMemoryAllReducer {
    /// This rank's segment: write the values to sum here, read the sums after `sumInPlace`.
    public let buffer: UnsafeMutableBufferPointer<Float>
    private let count: Int
    private var window: MPI_Win?
    private var nodeCommunicator: MPI_Comm?
    /// Every rank's segment, by node rank.
    private let segments: [UnsafeMutablePointer<Float>]
    /// The chunk of elements this rank sums.
    private let chunk: Range<Int>
    private var isOpen = true

    /// A reducer for `count` floats, or nil when the communicator's ranks are not all on one
    /// node (shared memory cannot reach them). Collective: every rank calls it.
    ///
    /// - Throws: `MPIError` if an MPI call fails.
    public static func make(communicator: Communicator, count: Int) throws -> SharedMemoryAllReducer? {
        var node: MPI_Comm? = nil
        try checkMPI(
            "MPI_Comm_split_type",
            MPI_Comm_split_type(
                communicator.handle, cmpi_comm_type_shared(), Int32(communicator.rank), cmpi_info_null(), &node))
        var nodeSize: Int32 = 0
        try checkMPI("MPI_Comm_size", MPI_Comm_size(node, &nodeSize))
        // All ranks must agree: if any node holds fewer than all ranks, nobody uses shared memory.
        var everyoneShares: [Int32] = [nodeSize == Int32(communicator.size) ? 1 : 0]
        try communicator.allReduce(&everyoneShares, .min)
        guard everyoneShares[0] == 1 else {
            try checkMPI("MPI_Comm_free", MPI_Comm_free(&node))
            return nil
        }
        return try SharedMemoryAllReducer(node: node, size: Int(nodeSize), rank: communicator.rank, count: count)
    }

    private init(node: MPI_Comm?, size: Int, rank: Int, count: Int) throws {
        self.count = count
        nodeCommunicator = node
        var base: UnsafeMutableRawPointer? = nil
        var window: MPI_Win? = nil
        // Segments are contiguous; a size rounded up to 64 bytes keeps each one cache-line
        // (and SIMD) aligned.
        let bytes = MPI_Aint((max(count, 1) + 15) / 16 * 16 * MemoryLayout<Float>.stride)
        try checkMPI(
            "MPI_Win_allocate_shared",
            MPI_Win_allocate_shared(bytes, Int32(MemoryLayout<Float>.stride), cmpi_info_null(), node, &base, &window))
        self.window = window
        var segments: [UnsafeMutablePointer<Float>] = []
        for peer in 0..<size {
            var segmentBytes: MPI_Aint = 0
            var unit: Int32 = 0
            var peerBase: UnsafeMutableRawPointer? = nil
            try checkMPI(
                "MPI_Win_shared_query", MPI_Win_shared_query(window, Int32(peer), &segmentBytes, &unit, &peerBase))
            guard let peerBase else { throw MPIError(call: "MPI_Win_shared_query", usage: "no segment for rank \(peer)") }
            segments.append(peerBase.bindMemory(to: Float.self, capacity: max(count, 1)))
        }
        self.segments = segments
        buffer = UnsafeMutableBufferPointer(start: segments[rank], count: count)
        buffer.initialize(repeating: 0)
        // Chunks on 16-float (64-byte) boundaries, so no two ranks write one cache line.
        let blocks = (count + 15) / 16
        let lower = min(count, rank * blocks / size * 16)
        let upper = min(count, (rank + 1) * blocks / size * 16)
        chunk = lower..<upper
        try checkMPI("MPI_Win_lock_all", MPI_Win_lock_all(cmpi_mode_nocheck(), window))
        try synchronize()
    }

    /// Replaces every rank's `buffer` by the element-wise sum over ranks. Collective.
    ///
    /// - Throws: `MPIError` if a synchronisation fails.
    public func sumInPlace() throws {
        try synchronize()  // every segment written
        if !chunk.isEmpty {
            let first = segments[0] + chunk.lowerBound
            let length = chunk.count
            // Sum into segment 0's chunk in rank order, then copy the sums to the others.
            for peer in 1..<segments.count {
                add(segments[peer] + chunk.lowerBound, into: first, count: length)
            }
            for peer in 1..<segments.count {
                (segments[peer] + chunk.lowerBound).update(from: first, count: length)
            }
        }
        try synchronize()  // every chunk summed and spread
    }

    /// Frees the window and the node communicator. Collective; call before MPI_Finalize.
    public func close() throws {
        guard isOpen else { return }
        isOpen = false
        try checkMPI("MPI_Win_unlock_all", MPI_Win_unlock_all(window))
        try checkMPI("MPI_Win_free", MPI_Win_free(&window))
        try checkMPI("MPI_Comm_free", MPI_Comm_free(&nodeCommunicator))
    }

    /// The MPI-3 unified-memory pattern: make my stores visible, meet everyone, see theirs.
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
