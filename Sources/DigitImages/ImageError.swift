/// What can be wrong with an image given to `predict`; each description is one line saying what
/// to do.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, reason: String)
    case empty(String)
    case unknownFormat(String)
    case malformed(String, format: String, reason: String)
    case tooLarge(String, width: Int, height: Int, limit: Int)
    case blank(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read image \(path): \(reason)"
        case .empty(let path):
            return "image \(path) is empty (0 bytes): give a PNG or PGM file"
        case .unknownFormat(let path):
            return "\(path) is not a PNG or PGM image: convert it (e.g. to PNG) first"
        case .malformed(let path, let format, let reason):
            return "\(path) is not a valid \(format) image (\(reason)): re-export it"
        case .tooLarge(let path, let width, let height, let limit):
            return "image \(path) is \(width)x\(height), over the \(limit)-pixel limit: scale it down first"
        case .blank(let path):
            return "image \(path) holds no digit (one uniform level): check that it shows a digit"
        }
    }
}
