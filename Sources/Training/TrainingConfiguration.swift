import NeuralNet

/// Everything a training run needs to know, as the user set it (after presets were applied).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// The preset the defaults came from (`seed`).
    public var preset: String = "seed"
    /// Hidden layer widths, e.g. `[256, 256]`.
    public var hiddenSizes: [Int] = [256, 256]
    public var activation: Activation = .sigmoid
    public var initializer: Initializer = .normal(standardDeviation: 1)
    public var learningRate: Double = 0.1
    /// Examples per rank per step; the global batch is ranks × this.
    public var batchSize: Int = 100
    public var epochs: Int = 30
    /// Log (and evaluate) at epochs 0, logEvery, 2·logEvery, ...
    public var logEvery: Int = 3
    public var seed: UInt64 = 42
    /// The folder with the MNIST files.
    public var dataDirectory: String = "data/mnist"
    /// Train on only the first N training examples (nil: all).
    public var trainLimit: Int? = nil
    /// Evaluate on only the first N test examples (nil: all).
    public var testLimit: Int? = nil
    /// OpenBLAS threads per rank.
    public var blasThreads: Int = 1
    /// Rank 0 writes the run summary (JSON) here.
    public var summaryPath: String? = nil
    /// Rank 0 writes one JSON line per epoch here.
    public var metricsPath: String? = nil
    /// Testing aid: every rank writes its final parameters to `DIR/rank-N.f32`.
    public var rankParametersDirectory: String? = nil

    public init() {}

    /// The seed configuration of the original program: 784-256-256-10 sigmoid, N(0, 1), SGD 0.1,
    /// batch 100, 30 epochs, cost every 3 epochs.
    public static let seed = TrainingConfiguration()

    /// Layer widths from input to output for `inputSize` pixels and `classCount` classes.
    public func layerSizes(inputSize: Int, classCount: Int) -> [Int] {
        [inputSize] + hiddenSizes + [classCount]
    }

    /// Checks the values a command line can get wrong.
    ///
    /// - Throws: `TrainingError.invalidOption` naming the option, the value and what is allowed.
    public func validate() throws {
        func fail(_ option: String, _ value: Any, _ rule: String) -> TrainingError {
            .invalidOption(option: option, value: "\(value)", rule: rule)
        }
        guard epochs >= 1 else { throw fail("--epochs", epochs, "must be at least 1") }
        guard batchSize >= 1 else { throw fail("--batch-size", batchSize, "must be at least 1") }
        guard learningRate.isFinite, learningRate > 0 else {
            throw fail("--lr", learningRate, "must be a positive finite number")
        }
        guard logEvery >= 1 else { throw fail("--log-every", logEvery, "must be at least 1") }
        guard blasThreads >= 1 else { throw fail("--blas-threads", blasThreads, "must be at least 1") }
        guard !hiddenSizes.isEmpty, hiddenSizes.allSatisfy({ $0 >= 1 }) else {
            throw fail("--hidden", hiddenSizes, "needs one or more positive widths, e.g. 256,256")
        }
        if let trainLimit, trainLimit < 1 { throw fail("--train-limit", trainLimit, "must be at least 1") }
        if let testLimit, testLimit < 1 { throw fail("--test-limit", testLimit, "must be at least 1") }
    }
}
