import NeuralNet
import SwiftMPI

/// The plain sum: one blocking `MPI_Allreduce` of the whole buffer in float32. Applies
/// everywhere, so it is the last candidate.
final class MPIAllReduceReducer: GradientReducer {
    let buffer: FloatBuffer
    private let communicator: Communicator

    static func make(_ context: ReducerContext) throws -> MPIAllReduceReducer? { try MPIAllReduceReducer(context) }

    init(_ context: ReducerContext) throws {
        communicator = context.communicator
        buffer = FloatBuffer(count: context.count)
    }

    var description: String { "MPI_Allreduce" }
    var valuesPerSum: [Int] { communicator.size > 1 ? [buffer.count] : [] }

    func reduce(step: Int) throws {
        try communicator.allReduce(buffer.buffer, .sum)
    }
}
