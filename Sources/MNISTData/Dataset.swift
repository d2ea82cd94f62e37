/// The data sets the trainer knows: same IDX format, 28×28 images, 10 classes.
public enum Dataset: String, Codable, Sendable, CaseIterable {
    case mnist
    case fashionMNIST = "fashion-mnist"

    /// The folder `scripts/fetch-mnist.sh` fills for it.
    public var defaultDirectory: String { "data/\(rawValue)" }

    /// The names of the ten classes, for the confusion matrix.
    public var classNames: [String] {
        switch self {
        case .mnist: return (0...9).map(String.init)
        case .fashionMNIST:
            return ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                    "Bag", "Boot"]
        }
    }
}
