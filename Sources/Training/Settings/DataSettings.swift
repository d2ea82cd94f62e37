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
    /// Shift each training image by up to this many pixels in each direction, a shift drawn
    /// per example and epoch from the seed (0: no augmentation).
    public var augmentShift: Int = 0

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

    public static let augmentShift = Setting(
        "--augment-shift", .data, \.data.augmentShift, resume: .warn,
        help: "Shift each training image by up to N pixels right/left and up/down (zeros fill in), drawn per example and epoch from the seed, so the same bits on any rank count with --deterministic; 0 is off.",
        check: { shift, _ in (0...8).contains(shift) ? nil : "must be 0 to 8 pixels" })

    public static let data: [any AnySetting] = [dataset, dataDirectory, testLimit, trainLimit, augmentShift]
}
