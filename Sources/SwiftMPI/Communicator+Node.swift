import CMPI

extension Communicator {
    /// The ranks of this communicator that share this rank's node (`MPI_Comm_split_type` with
    /// `MPI_COMM_TYPE_SHARED`, ordered by rank). Collective. The caller frees `handle` with
    /// `MPI_Comm_free`.
    struct NodeGroup {
        var handle: CommHandle
        /// Ranks on this node, and this rank's place among them.
        let size: Int32
        let rank: Int32
    }

    /// Splits this communicator by node. See `NodeGroup`.
    ///
    /// - Throws: `MPIError` if the split or reading its size and rank fails.
    func splitByNode() throws -> NodeGroup {
        var node: CommHandle = cmpi_comm_null()
        let key = try mpiCount(rank, call: "MPI_Comm_split_type")
        try checkMPI(
            "MPI_Comm_split_type", MPI_Comm_split_type(handle, cmpi_comm_type_shared(), key, cmpi_info_null(), &node))
        var nodeSize: Int32 = 0, nodeRank: Int32 = 0
        try checkMPI("MPI_Comm_size", MPI_Comm_size(node, &nodeSize))
        try checkMPI("MPI_Comm_rank", MPI_Comm_rank(node, &nodeRank))
        return NodeGroup(handle: node, size: nodeSize, rank: nodeRank)
    }
}

extension Communicator {
    /// Whether every rank of this communicator runs on one node (shares memory with all
    /// others). Collective; every rank gets the same answer: on one node each sees all ranks
    /// in its node group, on several none does.
    ///
    /// - Throws: `MPIError` if the split fails.
    public func isSingleNode() throws -> Bool {
        var group = try splitByNode()
        let single = Int(group.size) == size
        try checkMPI("MPI_Comm_free", MPI_Comm_free(&group.handle))
        return single
    }
}

extension Communicator {
    /// Whether this rank is the first (lowest) of its node's ranks. Collective.
    ///
    /// - Throws: `MPIError` if the split fails.
    public func isFirstOnNode() throws -> Bool {
        var group = try splitByNode()
        let first = group.rank == 0
        try checkMPI("MPI_Comm_free", MPI_Comm_free(&group.handle))
        return first
    }
}
