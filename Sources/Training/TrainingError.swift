/// Errors of a training run; each description is one line saying what is wrong and what to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidOption(option: String, value: String, rule: String)
    case inputSizeMismatch(path: String, pixels: Int, inputLayer: Int)
    case cannotWrite(path: String, reason: String)
    case parametersDiverged(epoch: Int)
    /// Another rank failed and reported it; this rank only stops.
    case failedOnAnotherRank(rank: Int)

    public var description: String {
        switch self {
        case .invalidOption(let option, let value, let rule):
            return "\(option) \(value): \(rule)"
        case .inputSizeMismatch(let path, let pixels, let inputLayer):
            return "\(path) has \(pixels) pixels per image but the first layer takes \(inputLayer): use a data set whose images match the model"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); choose a writable path"
        case .parametersDiverged(let epoch):
            return "parameters differ between ranks at epoch \(epoch): the ranks are no longer in sync (a bug or a faulty node); rerun and report it"
        case .failedOnAnotherRank(let rank):
            return "stopped because rank \(rank) failed"
        }
    }
}
