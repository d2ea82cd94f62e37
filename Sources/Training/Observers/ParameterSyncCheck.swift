import NeuralNet
import RunOutput
import SwiftMPI

/// At every `--log-every` epoch's end: stops the job when any rank's parameters differ from
/// the others' (a fingerprint's maximum and minimum over ranks, one collective).
final class ParameterSyncCheck: TrainingObserver {
    private let parameters: FloatBuffer
    private let communicator: Communicator
    private let everyEpochs: Int

    init(parameters: FloatBuffer, communicator: Communicator, everyEpochs: Int) {
        self.parameters = parameters
        self.communicator = communicator
        self.everyEpochs = everyEpochs
    }

    func epochEnding(at position: LoopPosition, metrics: EpochMetrics) throws -> LoopRequests {
        guard position.epoch % everyEpochs == 0 else { return [] }
        let fingerprint = ParameterFingerprint(parameters)
        // max of x and of -x in one reduction gives max and min.
        var values = [fingerprint.high, fingerprint.low, -fingerprint.high, -fingerprint.low]
        try communicator.allReduce(&values, .max)
        guard values[0] == -values[2], values[1] == -values[3] else {
            throw communicator.agreedFailure(.parametersDiverged(epoch: position.epoch))
        }
        return []
    }
}
