import NeuralNet

/// Everything a training run needs to know, as the user set it (after presets were applied).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// The preset the defaults came from (`seed`).
    public var preset: String = "seed"
    /// Hidden layer widths, e.g. `[256, 256]`.
    public var hiddenSizes: [Int] = [256, 256]
    public var activation: Activation = .sigmoid
    public var initializer: Initializer = .normal(standardDeviation: 1)
    public var optimizer = OptimizerConfiguration(kind: .sgd)
    public var learningRate: Double = 0.1
    /// How the learning rate grows with the global batch (see `LearningRateScaling`).
    public var learningRateScaling: LearningRateScaling = .auto
    /// The batch `learningRate` was set for (nil: `batchSize`).
    public var lrReferenceBatch: Int? = nil
    /// How the learning rate falls after warmup.
    public var learningRateDecay: LearningRateDecay = .none
    /// Epochs over which the learning rate ramps from `learningRate` to its scaled value (nil:
    /// 2 when the rate is scaled up, else 0).
    public var warmupEpochs: Double? = nil
    /// Examples per rank per step (weak scaling); the global batch is ranks × this.
    public var batchSize: Int = 100
    /// Strong scaling: the global batch, split evenly over the ranks (nil: weak scaling).
    public var globalBatch: Int? = nil
    public var epochs: Int = 30
    /// Log at epochs 0, logEvery, 2·logEvery, ...
    public var logEvery: Int = 3
    /// Evaluate the test set at epochs 0, evalEvery, ... (0: only at the end).
    public var evalEvery: Int = 3
    /// Who evaluates: rank 0 alone or every rank a slice.
    public var evaluation: EvaluationMode = .rank0
    /// Which data set.
    public var dataset: Dataset = .mnist
    public var seed: UInt64 = 42
    /// The folder with the MNIST files.
    public var dataDirectory: String = "data/mnist"
    /// Train on only the first N training examples (nil: all).
    public var trainLimit: Int? = nil
    /// Evaluate on only the first N test examples (nil: all).
    public var testLimit: Int? = nil
    /// Overlap the gradient allreduce with backward (one nonblocking allreduce per layer).
    public var overlapCommunication: Bool = false
    /// How the gradients travel: float32, bfloat16 or PowerSGD.
    public var compression: GradientCompression = .none
    /// PowerSGD's approximation rank.
    public var powerSGDRank: Int = 4
    /// Steps sent uncompressed before PowerSGD starts (as PyTorch's start_powerSGD_iter).
    public var powerSGDWarmupSteps: Int = 100
    /// How the gradients are summed.
    public var allReduceMethod: AllReduceMethod = .automatic
    /// OpenBLAS threads per rank (and oneDNN's).
    public var blasThreads: Int = 1
    /// The library of the matrix products; nil picks oneDNN where it loads, else OpenBLAS.
    public var kernels: KernelLibrary? = nil
    /// float32, or bfloat16 products with float32 master weights (needs oneDNN and a CPU with
    /// AVX512_BF16 or AMX).
    public var precision: Precision = .fp32
    /// Treat subnormal floats as zero (see `SubnormalFloats`); false: IEEE arithmetic.
    public var flushSubnormals: Bool = true
    /// Rank 0 writes the run summary (JSON) here.
    public var summaryPath: String? = nil
    /// Rank 0 writes one JSON line per epoch here.
    public var metricsPath: String? = nil
    /// Rank 0 writes checkpoints here (atomically).
    public var checkpointPath: String? = nil
    /// Write a checkpoint every K epochs (and after the last).
    public var checkpointEvery: Int = 1
    /// Continue from the checkpoint at `checkpointPath`.
    public var resume: Bool = false
    /// Testing aid: every rank writes its final parameters to `DIR/rank-N.f32`.
    public var rankParametersDirectory: String? = nil
    /// Testing aid: this rank nudges one parameter after epoch 0, so the drift check must fire.
    public var debugPerturbRank: Int? = nil
    /// Testing aid: this rank alone fails after epoch 0, so the job must end by MPI_Abort.
    public var debugFailRank: Int? = nil
    /// End the job when a rank's loop makes no progress for this many seconds (0: never).
    public var stallTimeout: Double = 300
    /// Rank 0 writes TensorBoard event files into this folder.
    public var tensorboardDirectory: String? = nil
    /// With `tensorboardDirectory`: the step's cost every this many steps (0: per epoch only).
    public var tensorboardEvery: Int = 10
    /// Every rank's timeline, gathered to rank 0, goes to this Chrome trace file.
    public var timelinePath: String? = nil
    /// Steps the timeline records (the first ones of the run).
    public var timelineSteps: Int = 300

    public init() {}

    /// The seed configuration of the original program: 784-256-256-10 sigmoid, N(0, 1), SGD 0.1,
    /// batch 100, 30 epochs, cost every 3 epochs.
    public static let seed = TrainingConfiguration()

    /// The original program's next steps: ReLU, He initialisation, Adam at lr 0.001 (decayed
    /// along a cosine to zero at the end), batch 100, 15 epochs.
    public static let improved: TrainingConfiguration = {
        var config = TrainingConfiguration()
        config.preset = "improved"
        config.activation = .relu
        config.initializer = .he
        config.optimizer = OptimizerConfiguration(kind: .adam)
        config.learningRate = 0.001
        config.learningRateDecay = .cosine
        config.epochs = 15
        return config
    }()

    /// The per-rank batch for `ranks` ranks: `batchSize`, or `globalBatch / ranks`.
    ///
    /// - Throws: `TrainingError.invalidOption` when the global batch does not divide evenly.
    public func perRankBatch(ranks: Int) throws -> Int {
        guard let globalBatch else { return batchSize }
        guard globalBatch % ranks == 0 else {
            throw TrainingError.invalidOption(
                option: "--global-batch", value: "\(globalBatch)",
                rule: "must divide evenly by the \(ranks) ranks; use a multiple of \(ranks)")
        }
        return globalBatch / ranks
    }

    /// Layer widths from input to output for `inputSize` pixels and `classCount` classes.
    public func layerSizes(inputSize: Int, classCount: Int) -> [Int] {
        [inputSize] + hiddenSizes + [classCount]
    }

    /// The largest values `validate` accepts.
    public static let limits = (
        epochs: 1_000_000, batch: 1 << 24, hiddenLayers: 62, width: 1 << 20, stallSeconds: 31_536_000.0,
        steps: 1 << 40, timelineSteps: 1_000_000)

    /// Checks the values a command line can get wrong.
    ///
    /// - Throws: `TrainingError.invalidOption` naming the option, the value and what is allowed.
    public func validate() throws {
        func fail(_ option: String, _ value: Any, _ rule: String) -> TrainingError {
            .invalidOption(option: option, value: "\(value)", rule: rule)
        }
        // Upper bounds keep every product of these (steps of a run, global batch, warm-up
        // steps, parameter counts) far inside Int: mnist-mpi-fuzz found `--epochs 2^63-1`
        // trapping in epochs x steps per epoch.
        let limits = Self.limits
        guard (1...limits.epochs).contains(epochs) else {
            throw fail("--epochs", epochs, "must be 1 to \(limits.epochs)")
        }
        guard (1...limits.batch).contains(batchSize) else {
            throw fail("--batch-size", batchSize, "must be 1 to \(limits.batch)")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw fail("--lr", learningRate, "must be a positive finite number")
        }
        guard logEvery >= 1 else { throw fail("--log-every", logEvery, "must be at least 1") }
        guard evalEvery >= 0 else { throw fail("--eval-every", evalEvery, "must be 0 (only at the end) or more") }
        if let globalBatch, !(1...limits.batch).contains(globalBatch) {
            throw fail("--global-batch", globalBatch, "must be 1 to \(limits.batch)")
        }
        if let warmupEpochs, !(warmupEpochs >= 0 && warmupEpochs <= Double(limits.epochs)) {
            throw fail("--warmup-epochs", warmupEpochs, "must be a number from 0 to \(limits.epochs)")
        }
        if let lrReferenceBatch, !(1...limits.batch).contains(lrReferenceBatch) {
            throw fail("--lr-reference-batch", lrReferenceBatch, "must be 1 to \(limits.batch)")
        }
        if case .normal(let deviation) = initializer, !(deviation > 0 && deviation.isFinite) {
            throw fail("--init-std", deviation, "must be a positive finite number")
        }
        if let problem = optimizer.problem { throw fail(problem.option, problem.value, problem.rule) }
        guard blasThreads >= 1 else { throw fail("--blas-threads", blasThreads, "must be at least 1") }
        guard (1...limits.hiddenLayers).contains(hiddenSizes.count),
              hiddenSizes.allSatisfy({ (1...limits.width).contains($0) }) else {
            throw fail("--hidden", hiddenSizes,
                       "needs 1 to \(limits.hiddenLayers) widths of 1 to \(limits.width), e.g. 256,256")
        }
        guard checkpointEvery >= 1 else {
            throw fail("--checkpoint-every", checkpointEvery, "must be at least 1")
        }
        if resume, checkpointPath == nil {
            throw fail("--resume", "", "needs --checkpoint FILE to resume from")
        }
        guard stallTimeout >= 0, stallTimeout <= limits.stallSeconds else {
            throw fail("--stall-timeout", stallTimeout, "must be 0 (never) to \(Int(limits.stallSeconds)) seconds")
        }
        guard (1...limits.width).contains(powerSGDRank) else {
            throw fail("--powersgd-rank", powerSGDRank, "must be 1 to \(limits.width)")
        }
        guard (0...limits.steps).contains(powerSGDWarmupSteps) else {
            throw fail("--powersgd-warmup-steps", powerSGDWarmupSteps, "must be 0 to \(limits.steps)")
        }
        if compression == .powerSGD, overlapCommunication {
            throw fail("--compression", "powersgd", "does not combine with --overlap (its two sums need the whole gradient)")
        }
        guard (0...limits.steps).contains(tensorboardEvery) else {
            throw fail("--tensorboard-every", tensorboardEvery, "must be 0 (per epoch only) to \(limits.steps) steps")
        }
        guard (1...limits.timelineSteps).contains(timelineSteps) else {
            throw fail("--timeline-steps", timelineSteps, "must be 1 to \(limits.timelineSteps)")
        }
        if let trainLimit, trainLimit < 1 { throw fail("--train-limit", trainLimit, "must be at least 1") }
        if let testLimit, testLimit < 1 { throw fail("--test-limit", testLimit, "must be at least 1") }
    }
}
