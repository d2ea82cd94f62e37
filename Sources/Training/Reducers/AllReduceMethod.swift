/// How the gradients are summed over ranks.
public enum AllReduceMethod: String, Codable, Sendable, CaseIterable {
    /// Shared memory within nodes (hierarchical across nodes) when the nodes hold equal rank
    /// counts and overlap and compression are off; else MPI_Allreduce.
    case automatic = "auto"
    /// Always MPI_Allreduce.
    case mpi
    /// MPI-3 shared-memory windows, summed in place, MPI across nodes.
    case sharedMemory = "shared-memory"
}
