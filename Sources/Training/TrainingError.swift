#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of a training run; each description is one line saying what is wrong and what to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidOption(option: String, value: String, rule: String)
    case inputSizeMismatch(path: String, pixels: Int, inputLayer: Int)
    case cannotWrite(path: String, reason: String)
    case parametersDiverged(epoch: Int)
    case nonFinite(epoch: Int, step: Int, learningRate: Double)
    case interrupted(signal: Int32, epoch: Int, step: Int, checkpoint: String?)
    /// Testing aid (`--debug-fail-rank`): a failure only this rank knows of.
    case injectedFailure(rank: Int, epoch: Int)

    public var description: String {
        switch self {
        case .invalidOption(let option, let value, let rule):
            return value.isEmpty ? "\(option): \(rule)" : "\(option) \(value): \(rule)"
        case .inputSizeMismatch(let path, let pixels, let inputLayer):
            return "\(path) has \(pixels) pixels per image but the first layer takes \(inputLayer): use a data set whose images match the model"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); choose a writable path"
        case .parametersDiverged(let epoch):
            return "parameters differ between ranks at epoch \(epoch): the ranks are no longer in sync (a bug or a faulty node); rerun and report it"
        case .nonFinite(let epoch, let step, let learningRate):
            return "the cost became non-finite at epoch \(epoch) step \(step) (learning rate \(learningRate)): lower --lr (no checkpoint was written from this state)"
        case .interrupted(let signal, let epoch, let step, let checkpoint):
            let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
            if let checkpoint {
                return "stopped by \(name) at epoch \(epoch) step \(step); checkpoint written to \(checkpoint): continue with --checkpoint \(checkpoint) --resume"
            }
            return "stopped by \(name) at epoch \(epoch) step \(step); no --checkpoint was given, so progress is lost"
        case .injectedFailure(let rank, let epoch):
            return "injected failure on rank \(rank) after epoch \(epoch) (--debug-fail-rank, a testing aid)"
        }
    }
}
