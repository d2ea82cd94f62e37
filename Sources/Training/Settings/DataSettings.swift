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

    /// A model of one data set is no starting point for another; the folder may move.
    static let resumeRules: [ResumeRule] = [
        .of(\.data, "--dataset", .refuse) { $0.dataset.rawValue },
        .of(\.data, "--train-limit", .warn) { describe($0.trainLimit) },
        .of(\.data, "--data", .free) { $0.dataDirectory },
        .of(\.data, "--test-limit", .free) { describe($0.testLimit) },
    ]
}
