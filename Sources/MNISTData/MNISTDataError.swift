/// What can be wrong with a data set on disk or with how it is split; each case's description
/// is one line naming the file or value and what to do.
public enum MNISTDataError: Error, CustomStringConvertible, Equatable {
    case directoryNotFound(String)
    case fileNotFound(directory: String, names: [String])
    case notAFile(String)
    case unreadable(String, reason: String)
    case badMagic(String, found: UInt32, expected: UInt32)
    case badDimensions(String, reason: String)
    case truncated(String, reason: String)
    case corrupt(String, reason: String)
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    case labelOutOfRange(String, index: Int, label: Int, classes: Int)
    case rangeOutOfBounds(String, range: Range<Int>, count: Int)
    case shardTooSmall(examples: Int, ranks: Int, batchSize: Int)
    case invalidBatchSize(Int)

    public var description: String {
        switch self {
        case .directoryNotFound(let path):
            return "data folder \(path) does not exist: run scripts/fetch-mnist.sh or pass --data DIR"
        case .fileNotFound(let directory, let names):
            return "\(names.joined(separator: " or ")) not found in \(directory): run scripts/fetch-mnist.sh \(directory)"
        case .notAFile(let path):
            return "\(path) is not a regular file: point --data at the folder holding the MNIST files"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .badMagic(let path, let found, let expected):
            return "\(path) is not an MNIST IDX file: magic number 0x\(hex(found)), expected 0x\(hex(expected)); fetch it again with scripts/fetch-mnist.sh"
        case .badDimensions(let path, let reason):
            return "\(path) has bad dimensions: \(reason)"
        case .truncated(let path, let reason):
            return "\(path) is truncated (\(reason)): fetch it again with scripts/fetch-mnist.sh"
        case .corrupt(let path, let reason):
            return "\(path) is corrupt (\(reason)): fetch it again with scripts/fetch-mnist.sh"
        case .countMismatch(let images, let imageCount, let labels, let labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels: the files do not belong together"
        case .labelOutOfRange(let path, let index, let label, let classes):
            return "\(path): label \(label) at index \(index) is outside 0...\(classes - 1)"
        case .rangeOutOfBounds(let path, let range, let count):
            return "\(path): examples \(range.lowerBound)..<\(range.upperBound) requested but the file holds \(count)"
        case .shardTooSmall(let examples, let ranks, let batchSize):
            let shard = examples / max(ranks, 1)
            return "--batch-size \(batchSize) is larger than a rank's shard (\(examples) examples over \(ranks) ranks = \(shard) each; \(examples / max(batchSize, 1)) batches for \(ranks) ranks): use fewer ranks or a smaller --batch-size"
        case .invalidBatchSize(let size):
            return "--batch-size must be at least 1, got \(size)"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
