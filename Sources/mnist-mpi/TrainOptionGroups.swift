import ArgumentParser
import NeuralNet
import Training

// The option groups of `mnist-mpi train`, one per section of `TrainingConfiguration`. Each
// applies the options given onto its section (the preset's values stay where none is given).

/// `train`'s model options, applied onto `ModelSettings`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Hidden layer widths, comma-separated. (default: 256,256)")
    var hidden: String?

    @Option(help: "Hidden activation: sigmoid, tanh or relu. (default: sigmoid/relu)")
    var activation: Activation?

    @Option(name: .customLong("init"), help: "Weight initialisation: normal, xavier or he. (default: normal/he)")
    var initializer: InitializerName?

    @Option(help: "Standard deviation of --init normal (weights and biases). (default: 1.0)")
    var initStd: Double?

    /// Sets the options given; the rest keep the preset's values.
    func apply(to settings: inout ModelSettings) throws {
        if let hidden { settings.hiddenSizes = try ModelOptions.parseWidths(hidden) }
        if let activation { settings.activation = activation }
        if let initializer {
            settings.initializer = initializer.initializer(standardDeviation: initStd ?? 1)
        } else if let initStd {
            settings.initializer = .normal(standardDeviation: initStd)
        }
    }

    static func parseWidths(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, widths.count == parts.count, widths.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError(
                "--hidden \(text): needs comma-separated positive widths, e.g. 256,256")
        }
        return widths
    }
}

/// `train`'s optimization options, applied onto `OptimizationSettings`.
struct OptimizationOptions: ParsableArguments {
    @Option(help: "Training epochs. (default: 30/15)")
    var epochs: Int?

    @Option(help: "Examples per rank per step (weak scaling: the global batch is ranks x this). (default: 100)")
    var batchSize: Int?

    @Option(help: "Strong scaling: the global batch, split evenly over the ranks; steps per epoch then do not depend on the rank count.")
    var globalBatch: Int?

    @Option(help: "Optimizer: sgd, momentum, adam, lars (layer-wise trust ratio on momentum SGD) or lamb (the same on Adam). (default: sgd/adam)")
    var optimizer: OptimizerConfiguration.Kind?

    @Option(help: "Learning rate. (default: 0.1/0.001)")
    var lr: Double?

    @Option(help: "Momentum coefficient of --optimizer momentum and lars. (default: 0.9)")
    var momentum: Double?

    @Flag(help: "Nesterov momentum (with --optimizer momentum).")
    var nesterov = false

    @Option(help: "Adam's and LAMB's beta1, in (0, 1). (default: 0.9)")
    var beta1: Double?

    @Option(help: "Adam's beta2, in (0, 1). (default: 0.999)")
    var beta2: Double?

    @Option(help: "Adam's epsilon. (default: 1e-8)")
    var epsilon: Double?

    @Option(help: "L2 weight decay added to the gradient. (default: 0)")
    var weightDecay: Double?

    @Option(help: "Learning-rate scaling with the global batch G against --lr-reference-batch B: auto (linear for sgd, momentum, lars; sqrt for adam, lamb), linear (x G/B, Goyal et al. 2017), sqrt (x sqrt(G/B)) or none. One rank at B is unchanged. (default: auto)")
    var lrScaling: LearningRateScaling?

    @Option(help: "The global batch --lr was set for. (default: --batch-size)")
    var lrReferenceBatch: Int?

    @Option(help: "LARS's trust coefficient eta: a layer moves by about lr x eta of its norm per step. (default: 0.001)")
    var trustCoefficient: Double?

    @Option(help: "Learning-rate decay after warmup: none or cosine (to zero at the last step). (default: none/cosine)")
    var lrDecay: LearningRateDecay?

    @Option(help: "Epochs of linear warm-up from --lr to the scaled rate. (default: 2 when the rate is scaled up, else 0)")
    var warmupEpochs: Double?

    @Option(help: "Random seed for initialisation and batch order. (default: 42)")
    var seed: UInt64?

    @Flag(help: "Bits that do not depend on the rank count: with --global-batch G, the global batch is cut into micro-batches summed in one fixed tree, and every rank draws the same data order (and reads the whole training set). Needs a rank count that divides the micro-batch count.")
    var deterministic = false

    @Option(help: "With --deterministic: rows per micro-batch; must divide --global-batch. (default: the smallest divisor of G of at least 25)")
    var microBatch: Int?

    @Option(help: "Stop at the first evaluation at or above this test accuracy (0.98 or 98); the summary gives time_to_target_seconds. --epochs stays the limit.")
    var targetAccuracy: Double?

    @Option(help: "With --target-accuracy: evaluate every N steps. (default: as often as keeps evaluation within a tenth of the time, measured after epoch 0; epoch ends always)")
    var targetEvalSteps: Int?

    @Option(help: "Stop when the test accuracy has not improved on its best for N evaluations in a row (those of --eval-every or --target-accuracy); the last evaluation is the result.")
    var earlyStopPatience: Int?

    /// Sets the options given; the rest keep the preset's values.
    func apply(to settings: inout OptimizationSettings) throws {
        if let epochs { settings.epochs = epochs }
        if let batchSize { settings.batchSize = batchSize }
        settings.globalBatch = globalBatch
        if let optimizer { settings.optimizer.kind = optimizer }
        if let lr { settings.learningRate = lr }
        if let momentum { settings.optimizer.momentum = momentum }
        if nesterov { settings.optimizer.nesterov = true }
        if let beta1 { settings.optimizer.beta1 = beta1 }
        if let beta2 { settings.optimizer.beta2 = beta2 }
        if let epsilon { settings.optimizer.epsilon = epsilon }
        if let weightDecay { settings.optimizer.weightDecay = weightDecay }
        if let lrScaling { settings.learningRateScaling = lrScaling }
        if let lrReferenceBatch { settings.lrReferenceBatch = lrReferenceBatch }
        if let trustCoefficient { settings.optimizer.trustCoefficient = trustCoefficient }
        if let lrDecay { settings.learningRateDecay = lrDecay }
        if let warmupEpochs { settings.warmupEpochs = warmupEpochs }
        if let seed { settings.seed = seed }
        settings.deterministic = deterministic
        settings.microBatch = microBatch
        // 98 means 98%: a value above 1 and at most 100 is a percentage.
        settings.targetAccuracy = targetAccuracy.map { $0 > 1 && $0 <= 100 ? $0 / 100 : $0 }
        settings.targetEvalSteps = targetEvalSteps
        if let earlyStopPatience { settings.earlyStopPatience = earlyStopPatience }
    }
}

/// `train`'s communication options, applied onto `CommunicationSettings`.
struct CommunicationOptions: ParsableArguments {
    @Flag(help: "Overlap the gradient allreduce with backward: one nonblocking allreduce per layer, started as soon as the layer is done.")
    var overlap = false

    @Option(help: "How gradients travel: none (float32), bf16 (half the bytes, summed in float32), powersgd (rank-r approximations of the weight matrices with error feedback, as PyTorch's PowerSGD hook; biases as they are) or auto: none on one node, across nodes the fastest of the three as timed on the job's links at start-up (a compression must save 30% of the sum). (default: auto)")
    var compression: GradientCompression?

    @Option(help: "With --compression powersgd: the approximation rank. (default: 4)")
    var powersgdRank: Int?

    @Option(help: "With --compression powersgd: steps sent uncompressed first. (default: 100)")
    var powersgdWarmupSteps: Int?

    @Flag(help: .hidden)
    var compressGradients = false

    @Option(help: "Gradient sum: auto (shared-memory windows within nodes, hierarchical across nodes with equal rank counts; else MPI_Allreduce), mpi or shared-memory.")
    var allreduce: AllReduceMethod = .automatic

    /// Sets the options given; the rest keep the preset's values.
    func apply(to settings: inout CommunicationSettings) throws {
        settings.overlap = overlap
        if compressGradients { settings.compression = .bf16 }  // the older spelling of --compression bf16
        if let compression { settings.compression = compression }
        if let powersgdRank { settings.powerSGDRank = powersgdRank }
        if let powersgdWarmupSteps { settings.powerSGDWarmupSteps = powersgdWarmupSteps }
        settings.allReduceMethod = allreduce
    }
}

/// `train`'s compute options, applied onto `ComputeSettings`.
struct ComputeOptions: ParsableArguments {
    @Option(help: "OpenBLAS (or oneDNN) threads per rank. (default: 1)")
    var blasThreads: Int?

    @Option(help: "Matrix-product kernels: auto (oneDNN where libdnnl.so.2 loads and --blas-threads is 1, else OpenBLAS), openblas or onednn (primitives made once per shape, bias and activation fused).")
    var kernels: KernelChoice = .auto

    @Option(help: "Precision of the matrix products: fp32, or bf16 (bfloat16 inputs, float32 accumulation, master weights, optimizer and gradient sums; needs oneDNN and a CPU with AVX512_BF16 or AMX). Checkpoints stay float32 and resume in either. (default: fp32)")
    var precision: Precision?

    @Flag(help: "Compute with subnormal floats as IEEE says (slow on x86 when a saturated network makes many); the default flushes them to zero, as TensorFlow does.")
    var keepSubnormals = false

    /// Sets the options given; the rest keep the preset's values.
    func apply(to settings: inout ComputeSettings) throws {
        if let blasThreads { settings.blasThreads = blasThreads }
        settings.kernels = kernels.library
        if let precision { settings.precision = precision }
        settings.flushSubnormals = !keepSubnormals
    }
}

/// `train`'s logging and outputs options, applied onto `ReportingSettings`.
struct ReportingOptions: ParsableArguments {
    @Option(help: "Log the cost every K epochs (epochs 0, K, 2K, ...). (default: 3)")
    var logEvery: Int?

    @Option(help: "Evaluate the test set every K epochs (0: only at the end). (default: 3)")
    var evalEvery: Int?

    @Option(name: .customLong("eval"), help: "Who evaluates: rank0 (the whole test set) or sharded (a slice per rank). (default: rank0)")
    var evaluation: EvaluationMode?

    @Option(help: "Live status line on rank 0 (batches, samples/s, ETA): auto (a terminal, without mpirun), always or never.")
    var progress: ProgressMode = .auto

    @Option(help: "Write the run summary (JSON) to this file (rank 0).")
    var summary: String?

    @Option(help: "Write one JSON line per epoch to this file (rank 0).")
    var metrics: String?

    @Option(help: ArgumentHelp("Rank 0 writes TensorBoard event files into this folder: per epoch the cost, test accuracy, learning rate, samples/s, compute and allreduce seconds; the step's cost every --tensorboard-every steps. Resumed runs continue the same curves.", valueName: "dir"))
    var tensorboard: String?

    @Option(help: "With --tensorboard: the step's cost every N steps; 0 per epoch only. (default: 10)")
    var tensorboardEvery: Int?

    @Option(help: ArgumentHelp("Write every rank's timeline (forward+backward, allreduce split into waiting for the slowest rank and transfer, optimizer, evaluations, checkpoints) as a Chrome trace JSON file for Perfetto or chrome://tracing, gathered to rank 0 at the end or at a stop.", valueName: "file"))
    var timeline: String?

    @Option(help: "With --timeline: record the first N steps. (default: 300)")
    var timelineSteps: Int?

    /// Sets the options given; the rest keep the preset's values.
    func apply(to settings: inout ReportingSettings) throws {
        if let logEvery { settings.logEvery = logEvery }
        if let evalEvery { settings.evalEvery = evalEvery }
        if let evaluation { settings.evaluation = evaluation }
        settings.summaryPath = summary
        settings.metricsPath = metrics
        settings.tensorboardDirectory = tensorboard
        if let tensorboardEvery { settings.tensorboardEvery = tensorboardEvery }
        settings.timelinePath = timeline
        if let timelineSteps { settings.timelineSteps = timelineSteps }
    }
}

/// `train`'s checkpoints and failures options, applied onto `ReliabilitySettings`.
struct ReliabilityOptions: ParsableArguments {
    @Option(help: "Write a checkpoint (parameters, optimizer state, position) to this file, atomically.")
    var checkpoint: String?

    @Option(help: "Checkpoint every K epochs (and after the last). (default: 1)")
    var checkpointEvery: Int?

    @Option(help: "Also checkpoint every K optimizer steps inside an epoch (a relaunch redoes at most K steps); the summary gives the cost per checkpoint. (default: 0, epoch ends only)")
    var checkpointEverySteps: Int?

    @Flag(exclusivity: .exclusive, help: "What to do with the file at --checkpoint: --resume continues it (it must exist; --epochs stays the total); --auto-resume continues it when it exists, else starts; --overwrite-checkpoint starts afresh and replaces it. (default: an existing checkpoint is refused with one line, never replaced silently)")
    var checkpointStart: CheckpointStart?

    @Option(help: "Who writes checkpoints: rank0 (one copy; put --checkpoint on storage every relaunch reaches), or node (the first rank of every node writes a copy to the same path on its own disk; a resume starts from the newest copy any node holds: no shared file system needed). (default: rank0)")
    var checkpointCopies: CheckpointCopies?

    @Option(help: .hidden)
    var restartsFile: String?

    @Option(help: "End the job on every rank when a rank's training loop makes no progress for this many seconds (a stalled or dead rank, a hung network); 0 never. (default: 300)")
    var stallTimeout: Double?

    /// Sets the options given; the rest keep the preset's values.
    func apply(to settings: inout ReliabilitySettings) throws {
        settings.checkpointPath = checkpoint
        if let checkpointEvery { settings.checkpointEvery = checkpointEvery }
        if let checkpointEverySteps { settings.checkpointEverySteps = checkpointEverySteps }
        settings.resume = checkpointStart == .resume
        switch checkpointStart {
        case .autoResume: settings.existingCheckpoint = .resume
        case .overwriteCheckpoint: settings.existingCheckpoint = .overwrite
        case .resume, nil: settings.existingCheckpoint = .refuse
        }
        settings.restartsPath = restartsFile
        if let checkpointCopies { settings.checkpointCopies = checkpointCopies }
        if let stallTimeout { settings.stallTimeout = stallTimeout }
    }
}

/// `--resume`, `--auto-resume` or `--overwrite-checkpoint`: at most one.
enum CheckpointStart: String, EnumerableFlag {
    case resume, autoResume, overwriteCheckpoint
}
