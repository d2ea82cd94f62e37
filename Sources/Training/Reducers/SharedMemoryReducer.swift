import NeuralNet
import SwiftMPI

/// The buffer is this rank's segment of its node's MPI-3 shared-memory window, summed in
/// place; across nodes hierarchically (see `SharedMemoryAllReducer`). Chosen by `auto` where
/// the nodes hold equal rank counts and neither overlap nor compression is asked for.
final class SharedMemoryReducer: GradientReducer {
    let buffer: FloatBuffer
    private let reducer: SharedMemoryAllReducer
    private let communicator: Communicator

    static func make(_ context: ReducerContext) throws -> SharedMemoryReducer? {
        let settings = context.settings
        let explicit = settings.allReduceMethod == .sharedMemory
        let automatic = settings.allReduceMethod == .automatic && !settings.overlap
            && settings.compression == .none && context.communicator.size > 1
        guard explicit || automatic else { return nil }
        guard let reducer = try SharedMemoryAllReducer.make(communicator: context.communicator, count: context.count) else {
            if explicit {
                throw context.unavailable(
                    "--allreduce", "shared-memory", "needs nodes with equal rank counts, more than one each (or a single node)")
            }
            return nil
        }
        return SharedMemoryReducer(reducer, communicator: context.communicator)
    }

    private init(_ reducer: SharedMemoryAllReducer, communicator: Communicator) {
        self.reducer = reducer
        self.communicator = communicator
        buffer = FloatBuffer(borrowing: reducer.buffer, owner: reducer)
    }

    var description: String {
        reducer.nodeCount == 1
            ? "shared-memory allreduce"
            : "hierarchical allreduce (shared memory on each of \(reducer.nodeCount) nodes, MPI across)"
    }

    var valuesPerSum: [Int] { communicator.size > 1 ? [buffer.count] : [] }

    func reduce(step: Int) throws {
        try reducer.sumInPlace()
    }

    func close() throws {
        try reducer.close()
    }
}
