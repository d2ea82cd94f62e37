import ArgumentParser
import Foundation
import SwiftMPI
import NeuralNet
import RunOutput
import Training

/// `mnist-mpi train`: parses the options into a `TrainingConfiguration` and runs the trainer.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the MLP data-parallel on all ranks; rank 0 logs and evaluates.",
        discussion: """
            A preset sets the defaults; options given override them. Defaults are shown as \
            seed/improved where the presets differ.
            """)

    @Option(help: "seed: the original (784-256-256-10 sigmoid, N(0,1), SGD 0.1, batch 100, 30 epochs); improved: ReLU, He init, Adam 0.001 with cosine decay, 15 epochs.")
    var preset: Preset = .seed

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "Training epochs. (default: 30/15)")
    var epochs: Int?

    @Option(help: "Examples per rank per step (weak scaling: the global batch is ranks x this). (default: 100)")
    var batchSize: Int?

    @Option(help: "Strong scaling: the global batch, split evenly over the ranks; steps per epoch then do not depend on the rank count.")
    var globalBatch: Int?

    @Option(help: "Hidden layer widths, comma-separated. (default: 256,256)")
    var hidden: String?

    @Option(help: "Hidden activation: sigmoid, tanh or relu. (default: sigmoid/relu)")
    var activation: Activation?

    @Option(name: .customLong("init"), help: "Weight initialisation: normal, xavier or he. (default: normal/he)")
    var initializer: InitializerName?

    @Option(help: "Standard deviation of --init normal (weights and biases). (default: 1.0)")
    var initStd: Double?

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

    @Option(help: "Log the cost every K epochs (epochs 0, K, 2K, ...). (default: 3)")
    var logEvery: Int?

    @Option(help: "Evaluate the test set every K epochs (0: only at the end). (default: 3)")
    var evalEvery: Int?

    @Option(name: .customLong("eval"), help: "Who evaluates: rank0 (the whole test set) or sharded (a slice per rank). (default: rank0)")
    var evaluation: EvaluationMode?

    @Option(help: "Live status line on rank 0 (batches, samples/s, ETA): auto (a terminal, without mpirun), always or never.")
    var progress: ProgressMode = .auto

    @Option(help: "Random seed for initialisation and batch order. (default: 42)")
    var seed: UInt64?

    @Option(help: "Write the run summary (JSON) to this file (rank 0).")
    var summary: String?

    @Option(help: "Write one JSON line per epoch to this file (rank 0).")
    var metrics: String?

    @Flag(help: "Overlap the gradient allreduce with backward: one nonblocking allreduce per layer, started as soon as the layer is done.")
    var overlap = false

    @Option(help: "How gradients travel: none (float32), bf16 (half the bytes, summed in float32) or powersgd (rank-r approximations of the weight matrices with error feedback, as PyTorch's PowerSGD hook; biases as they are). (default: none)")
    var compression: GradientCompression?

    @Option(help: "With --compression powersgd: the approximation rank. (default: 4)")
    var powersgdRank: Int?

    @Option(help: "With --compression powersgd: steps sent uncompressed first. (default: 100)")
    var powersgdWarmupSteps: Int?

    @Flag(help: .hidden)
    var compressGradients = false

    @Option(help: "Gradient sum: auto (shared-memory windows within nodes, hierarchical across nodes with equal rank counts; else MPI_Allreduce), mpi or shared-memory.")
    var allreduce: AllReduceMethod = .automatic

    @Option(help: "OpenBLAS (or oneDNN) threads per rank. (default: 1)")
    var blasThreads: Int?

    @Option(help: "Matrix-product kernels: auto (oneDNN where libdnnl.so.2 loads and --blas-threads is 1, else OpenBLAS), openblas or onednn (primitives made once per shape, bias and activation fused).")
    var kernels: KernelChoice = .auto

    @Option(help: "Precision of the matrix products: fp32, or bf16 (bfloat16 inputs, float32 accumulation, master weights, optimizer and gradient sums; needs oneDNN and a CPU with AVX512_BF16 or AMX). Checkpoints stay float32 and resume in either. (default: fp32)")
    var precision: Precision?

    @Flag(help: "Compute with subnormal floats as IEEE says (slow on x86 when a saturated network makes many); the default flushes them to zero, as TensorFlow does.")
    var keepSubnormals = false

    @Option(help: "Train on only the first N training examples. (default: all)")
    var trainLimit: Int?


    @Option(help: "Write a checkpoint (parameters, optimizer state, position) to this file, atomically.")
    var checkpoint: String?

    @Option(help: "Checkpoint every K epochs (and after the last). (default: 1)")
    var checkpointEvery: Int?

    @Flag(help: "Continue from --checkpoint FILE; --epochs stays the total.")
    var resume = false

    @Option(help: .hidden)
    var rankParametersDir: String?

    @Option(help: .hidden)
    var debugPerturbRank: Int?

    @Option(help: .hidden)
    var debugFailRank: Int?

    @Option(help: ArgumentHelp("Rank 0 writes TensorBoard event files into this folder: per epoch the cost, test accuracy, learning rate, samples/s, compute and allreduce seconds; the step's cost every --tensorboard-every steps. Resumed runs continue the same curves.", valueName: "dir"))
    var tensorboard: String?

    @Option(help: "With --tensorboard: the step's cost every N steps; 0 per epoch only. (default: 10)")
    var tensorboardEvery: Int?

    @Option(help: ArgumentHelp("Write every rank's timeline (forward+backward, allreduce split into waiting for the slowest rank and transfer, optimizer, evaluations, checkpoints) as a Chrome trace JSON file for Perfetto or chrome://tracing, gathered to rank 0 at the end or at a stop.", valueName: "file"))
    var timeline: String?

    @Option(help: "With --timeline: record the first N steps. (default: 300)")
    var timelineSteps: Int?

    @Option(help: "End the job on every rank when a rank's training loop makes no progress for this many seconds (a stalled or dead rank, a hung network); 0 never. (default: 300)")
    var stallTimeout: Double?

    /// The effective configuration: the preset, then every option given.
    func makeConfiguration() throws -> TrainingConfiguration {
        var config = preset.configuration
        config.dataset = dataOptions.chosenDataset
        config.dataDirectory = dataOptions.directory
        if let epochs { config.epochs = epochs }
        if let batchSize { config.batchSize = batchSize }
        config.globalBatch = globalBatch
        if let hidden { config.hiddenSizes = try Train.parseWidths(hidden) }
        if let activation { config.activation = activation }
        if let initializer {
            config.initializer = initializer.initializer(standardDeviation: initStd ?? 1)
        } else if let initStd {
            config.initializer = .normal(standardDeviation: initStd)
        }
        if let optimizer { config.optimizer.kind = optimizer }
        if let lr { config.learningRate = lr }
        if let momentum { config.optimizer.momentum = momentum }
        if nesterov { config.optimizer.nesterov = true }
        if let beta1 { config.optimizer.beta1 = beta1 }
        if let beta2 { config.optimizer.beta2 = beta2 }
        if let epsilon { config.optimizer.epsilon = epsilon }
        if let weightDecay { config.optimizer.weightDecay = weightDecay }
        if let lrScaling { config.learningRateScaling = lrScaling }
        if let lrReferenceBatch { config.lrReferenceBatch = lrReferenceBatch }
        if let trustCoefficient { config.optimizer.trustCoefficient = trustCoefficient }
        if let lrDecay { config.learningRateDecay = lrDecay }
        if let warmupEpochs { config.warmupEpochs = warmupEpochs }
        if let logEvery { config.logEvery = logEvery }
        if let evalEvery { config.evalEvery = evalEvery }
        if let evaluation { config.evaluation = evaluation }
        if let seed { config.seed = seed }
        config.summaryPath = summary
        config.metricsPath = metrics
        config.overlapCommunication = overlap
        if compressGradients { config.compression = .bf16 }  // the older spelling of --compression bf16
        if let compression { config.compression = compression }
        if let powersgdRank { config.powerSGDRank = powersgdRank }
        if let powersgdWarmupSteps { config.powerSGDWarmupSteps = powersgdWarmupSteps }
        config.allReduceMethod = allreduce
        if let blasThreads { config.blasThreads = blasThreads }
        config.kernels = kernels.library
        if let precision { config.precision = precision }
        config.flushSubnormals = !keepSubnormals
        config.trainLimit = trainLimit
        config.testLimit = dataOptions.testLimit
        config.checkpointPath = checkpoint
        if let checkpointEvery { config.checkpointEvery = checkpointEvery }
        config.resume = resume
        config.rankParametersDirectory = rankParametersDir
        config.debugPerturbRank = debugPerturbRank
        config.debugFailRank = debugFailRank
        if let stallTimeout { config.stallTimeout = stallTimeout }
        config.tensorboardDirectory = tensorboard
        if let tensorboardEvery { config.tensorboardEvery = tensorboardEvery }
        config.timelinePath = timeline
        if let timelineSteps { config.timelineSteps = timelineSteps }
        return config
    }

    func validate() throws {
        do {
            try makeConfiguration().validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let config = try makeConfiguration()
        MPIRuntime.runJob(report: { Logger.error($0) }) { communicator in
            // Under mpirun a rank's stdout is a pseudo-terminal even when mpirun's output goes
            // to a file, so auto draws only in a run without mpirun; scripts/train.sh passes
            // always when a terminal watches it.
            // Open MPI's mpirun, MPICH's hydra and Slurm's srun each leave their mark.
            let environment = ProcessInfo.processInfo.environment
            let underLauncher = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_PROCID"]
                .contains { environment[$0] != nil }
            let live = progress == .always
                || (progress == .auto && !underLauncher && Logger.stdoutIsTerminal)
            let logger = Logger(isPrinting: communicator.isRoot, showsLiveLine: live)
            _ = try DataParallelTrainer(
                configuration: config, communicator: communicator, logger: logger
            ).run()
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
