/// An output file (summary, metrics, TensorBoard events, timeline) that cannot be written.
public enum OutputError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason); choose a writable path"
        }
    }
}
