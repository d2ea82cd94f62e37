import CMPI

/// How `allReduce` combines the values of all ranks.
public enum ReductionOperation: Sendable {
    /// The element-wise sum over ranks.
    case sum
    /// The element-wise sum divided by the number of ranks.
    case average
    /// The element-wise maximum over ranks.
    case max
    /// The element-wise minimum over ranks.
    case min

    /// The MPI operation that carries it out (`average` is a sum, scaled afterwards).
    var mpiOp: MPI_Op {
        switch self {
        case .sum, .average: return cmpi_op_sum()
        case .max: return cmpi_op_max()
        case .min: return cmpi_op_min()
        }
    }
}
