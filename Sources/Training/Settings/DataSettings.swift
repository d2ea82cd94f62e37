import MNISTData

/// Which data and how much of it.
public struct DataSettings: Codable, Sendable, Equatable {
    public var dataset: Dataset = .mnist
    /// The folder with the data set's IDX files.
    public var dataDirectory: String = "data/mnist"
    /// Train on only the first N training examples (nil: all).
    public var trainLimit: Int? = nil
    /// Evaluate on only the first N test examples (nil: all).
    public var testLimit: Int? = nil

    public init() {}

}

extension Settings {
    public static let dataset = Setting(
        "--dataset", .data, \.data.dataset, resume: .refuse, help: "Data set: mnist or fashion-mnist.",
        note: "a model of one data set is no starting point for another", text: { $0.rawValue })
    public static let dataDirectory = Setting(
        "--data", .data, \.data.dataDirectory, resume: .free, help: "Folder with the data set's IDX files.",
        default: .text("$MNIST_DIR or data/mnist; $FASHION_MNIST_DIR or data/fashion-mnist"), note: "the folder may move")
    public static let testLimit = Setting(
        "--test-limit", .data, \.data.testLimit, resume: .free, help: "Evaluate on only the first N test examples.",
        default: .text("all"), text: describe, check: { limit, _ in limit.map { $0 >= 1 } == false ? "must be at least 1" : nil })
    public static let trainLimit = Setting(
        "--train-limit", .data, \.data.trainLimit, resume: .warn, help: "Train on only the first N training examples.",
        default: .text("all"), text: describe, check: { limit, _ in limit.map { $0 >= 1 } == false ? "must be at least 1" : nil })

    public static let data: [any AnySetting] = [dataset, dataDirectory, testLimit, trainLimit]
}
