import Foundation
import NeuralNet
import RunOutput

/// The multi-rank tests' faults (`MNIST_MPI_TEST_HOOKS`): after epoch 0 one rank nudges a
/// parameter or fails alone; one rank sleeps before every step. Registered only when a hook is set.
final class TestHookFaults: TrainingObserver {
    private let hooks: TestHooks
    private let rank: Int
    private let parameters: FloatBuffer

    init(hooks: TestHooks, rank: Int, parameters: FloatBuffer) {
        self.hooks = hooks
        self.rank = rank
        self.parameters = parameters
    }

    func stepStarted(epoch: Int, step: Int) {
        if let slow = hooks.slowRank, slow.rank == rank { usleep(UInt32(slow.milliseconds * 1000)) }
    }

    func epochEnding(at position: LoopPosition, metrics: EpochMetrics) throws -> LoopRequests {
        try hooks.afterEpoch(position.epoch, rank: rank, parameters: parameters)
        return []
    }
}
