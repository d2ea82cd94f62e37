import SwiftMPI

extension Communicator {
    /// An error every rank found at the same point (from values all ranks share): rank 0
    /// reports it, every other rank stops cleanly.
    func agreedFailure(_ error: TrainingError) -> CollectiveFailure {
        isRoot ? .reportedHere(error) : .reportedBy(rank: 0)
    }
}
