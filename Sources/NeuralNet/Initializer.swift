/// How weights are drawn at the start of training.
public enum Initializer: Sendable, Equatable, Codable {
    /// Every weight and bias from N(0, standardDeviation²): the seed program's N(0, 1).
    case normal(standardDeviation: Double)
    /// Glorot: weights from N(0, 2 / (fanIn + fanOut)), biases 0.
    case xavier
    /// He: weights from N(0, 2 / fanIn), biases 0 (for ReLU).
    case he

    /// The standard deviation of a layer's weights.
    func weightStandardDeviation(fanIn: Int, fanOut: Int) -> Double {
        switch self {
        case .normal(let standardDeviation): return standardDeviation
        case .xavier: return (2.0 / Double(fanIn + fanOut)).squareRoot()
        case .he: return (2.0 / Double(fanIn)).squareRoot()
        }
    }

    /// The standard deviation of a layer's biases (0: biases start at zero).
    var biasStandardDeviation: Double {
        if case .normal(let standardDeviation) = self { return standardDeviation }
        return 0
    }
}
