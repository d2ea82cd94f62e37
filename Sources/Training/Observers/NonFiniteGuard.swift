import SwiftMPI

/// Ends the run with one line when a step's summed cost is not finite (a learning rate too
/// high, a bad input): every rank sees the same sum, so every rank stops at the same step.
final class NonFiniteGuard: TrainingObserver {
    private let communicator: Communicator

    init(communicator: Communicator) {
        self.communicator = communicator
    }

    func stepEnded(_ report: StepReport) throws -> LoopRequests {
        guard report.summedCost.isFinite else {
            let position = report.position
            throw communicator.agreedFailure(
                .nonFinite(epoch: position.epoch, step: position.stepsDone - 1, learningRate: report.learningRate))
        }
        return []
    }
}
