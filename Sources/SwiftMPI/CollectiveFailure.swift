/// An error that every rank knows of, because the ranks agreed on it in a collective: the job
/// can end cleanly (every rank exits, one rank prints) instead of aborting.
public enum CollectiveFailure: Error, CustomStringConvertible {
    /// This rank failed with `error` and is the one to report it.
    case reportedHere(Error)
    /// Rank `rank` failed and reports it; this rank only stops.
    case reportedBy(rank: Int)

    public var description: String {
        switch self {
        case .reportedHere(let error): return "\(error)"
        case .reportedBy(let rank): return "stopped because rank \(rank) failed"
        }
    }
}

extension Communicator {
    /// Runs `body` on every rank, then agrees in one collective whether it failed anywhere.
    ///
    /// Every rank must call this at the same point. If any rank failed, every rank throws:
    /// the lowest failing rank `CollectiveFailure.reportedHere` with its error, the others
    /// `.reportedBy`. So one rank's bad file or path stops all ranks without a hang and with
    /// one message.
    ///
    /// - Returns: `body`'s result when every rank succeeded.
    /// - Throws: `CollectiveFailure`, or `MPIError` if the agreement itself fails.
    public func agreeingOnFailure<T>(_ body: () throws -> T) throws -> T {
        let result: Result<T, Error>
        do { result = .success(try body()) } catch { result = .failure(error) }
        // Ranks count as Int64: no narrowing to check.
        var failingRank: [Int64] = [Int64(size)]
        if case .failure = result { failingRank[0] = Int64(rank) }
        try allReduce(&failingRank, .min)
        let firstFailure = Int(failingRank[0])
        switch result {
        case .success(let value) where firstFailure == size:
            return value
        case .failure(let error) where firstFailure == rank:
            throw CollectiveFailure.reportedHere(error)
        default:
            throw CollectiveFailure.reportedBy(rank: firstFailure)
        }
    }
}
