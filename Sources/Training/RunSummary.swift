import Foundation
import MNISTData
import NeuralNet
import SwiftMPI
import RunOutput

/// The `--summary` JSON object (written by rank 0; keys in snake_case; the fields are listed in
/// docs/usage.md, section "Output files").
public struct RunSummary: Codable, Sendable {
    public var ranks: Int
    public var epochs: Int
    /// Epochs this process trained (fewer than `epochs` when resumed from a checkpoint).
    public var epochsRun: Int
    /// Examples per rank per step.
    public var batchSize: Int
    public var globalBatch: Int
    /// "weak" (the per-rank batch is fixed) or "strong" (the global batch is fixed).
    public var scalingMode: String
    public var stepsPerEpoch: Int
    /// Optimizer steps taken in all.
    public var steps: Int
    public var parameterCount: Int
    /// Test accuracy on the (whole, unless limited) test set, 0...1.
    public var testAccuracy: Double
    public var testCorrect: Int
    public var testCount: Int
    /// Per true class: the fraction classified correctly.
    public var perClassAccuracy: [Double]
    /// `[10][10]`: row = true class, column = predicted class.
    public var confusionMatrix: [[Int64]]
    /// Mean training cost of the last epoch over all ranks (nil if no epoch ran, e.g. a
    /// resumed run that had nothing left to do).
    public var finalCost: Double?
    /// Wall time of the training epochs, without start-up, data loading and the final
    /// evaluations (at log points or at the end).
    public var trainSeconds: Double
    public var secondsPerEpoch: Double
    /// Training samples of all ranks per second of `trainSeconds`.
    public var samplesPerSecond: Double
    /// Mean over ranks of the time spent computing (batch assembly, forward, backward, update).
    public var computeSeconds: Double
    /// Of `computeSeconds`, the time in the matrix products (the kernels' calls, with what they
    /// fuse), mean over ranks; compute / products is the step's distance from its products,
    /// measured in the same run.
    public var productSeconds: Double
    /// Mean over ranks of the time spent in the gradient allreduce (including waiting).
    public var allreduceSeconds: Double
    /// The largest rank's peak resident set size.
    public var peakRssBytes: Int
    /// Every rank's peak resident set size, by rank.
    public var peakRssBytesPerRank: [Int]
    /// How the gradients were summed (shared-memory allreduce, MPI_Allreduce, ...).
    public var allreduceMethod: String
    /// The gradient compression that ran (`--compression auto` resolved) and why: "as asked",
    /// "one node: shared memory", or the timed sums it was chosen from.
    public var compression: String
    public var compressionReason: String
    /// With `--compression auto` across nodes: the median seconds of one step's sum per
    /// compression, as timed at start-up (empty otherwise).
    public var compressionSecondsPerSum: [String: Double]
    /// Bytes one rank hands the allreduce per step (after PowerSGD's warm-up; 0 on one rank).
    public var exchangedBytesPerStep: Int
    /// The values of each allreduce of a step (one sum, or PowerSGD's two).
    public var exchangedValuesPerSum: [Int]
    /// The link rate the launcher declared (MNIST_MPI_LINK_RATE, e.g. "1gbit" from
    /// scripts/cluster/netns.sh --link-rate), or "not declared".
    public var networkLinkRate: String
    /// The OpenBLAS kernel family that ran the matrix products on rank 0, e.g. "SkylakeX", and
    /// the one OpenBLAS had picked by itself where mnist-mpi replaced a generic fallback.
    public var blasCore: String
    /// The MPI library the ranks ran on, e.g. "Open MPI v4.1.4" or "MPICH Version: 4.0.2".
    public var mpiLibrary: String
    /// The library that ran the matrix products ("openblas" or "onednn"; `--kernels auto`
    /// resolved), their precision ("fp32" or "bf16") and oneDNN's implementations, e.g.
    /// ["brg:avx512_core_bf16"] (empty with OpenBLAS).
    public var kernels: String
    public var precision: String
    public var kernelImplementations: [String]
    /// The instruction set of the element-wise passes (derivatives, optimizer, pixel scaling):
    /// "avx512f", "avx2" or "sse2", picked at load time.
    public var elementwiseInstructionSet: String
    /// The learning-rate rule that ran ("linear", "sqrt" or "none"; `auto` resolved), its factor
    /// k, the peak rate (base × k) and the warm-up steps.
    public var learningRateRule: String
    public var learningRateFactor: Double
    public var peakLearningRate: Double
    public var warmupSteps: Int
    /// Whether the bits of the result do not depend on the rank count (`--deterministic`), and
    /// then the micro-batches' rows and count.
    public var deterministic: Bool
    public var microBatch: Int?
    public var microBatches: Int?
    /// With `--deterministic`: whether each rank's micro-batches ran as leaf passes (one forward
    /// and backward pass over the rank's batch, `MLP+LeafPasses`) rather than one at a time.
    public var leafPasses: Bool?
    /// The final parameters' 64-bit FNV-1a hash (16 hex digits): equal runs, equal text.
    public var parameterFingerprint: String
    /// With `--target-accuracy`: the target, whether it was met, the wall time to it from the
    /// launch of rank 0's process (start-up and data loading included) and from the first
    /// step, the steps and epochs it took, and the evaluations on the way (counted in the time).
    public var targetAccuracy: Double? = nil
    public var targetReached: Bool? = nil
    public var timeToTargetSeconds: Double? = nil
    public var timeToTargetTrainingSeconds: Double? = nil
    public var targetStep: Int? = nil
    public var targetEpochs: Double? = nil
    public var targetEvaluations: Int? = nil
    public var targetEvaluationSeconds: Double? = nil
    public var targetEvalIntervalSteps: Int? = nil
    /// Checkpoints this launch wrote and their seconds in all (per checkpoint: the cost of
    /// `--checkpoint-every-steps`).
    public var checkpointsWritten: Int = 0
    public var checkpointSeconds: Double = 0
    /// The elastic job's relaunches before this launch (`mnist-mpi elastic`).
    public var restarts: [RestartRecord] = []
    /// Every rank's seconds of work between sums (compute, and whatever else slows it) and of
    /// waiting in the sums, over the epochs this launch ran, by rank (empty on one rank): a slow
    /// rank has the most work and the least wait.
    public var workSecondsPerRank: [Double] = []
    public var waitSecondsPerRank: [Double] = []
    public var configuration: TrainingConfiguration

    init(
        configuration: TrainingConfiguration, ranks: Int, plan: ShardPlan, layout: MLPLayout,
        epochs: [EpochMetrics], test: TestResult, peakRssBytesPerRank: [Int], allreduceMethod: String,
        compression: CompressionChoice,
        exchangedBytesPerStep: Int, exchangedValuesPerSum: [Int], kernels: ComputeKernels,
        kernelImplementations: [String], schedule: LearningRateSchedule, parameterFingerprint: String,
        target: TargetTracker? = nil, checkpoints: (count: Int, seconds: Double) = (0, 0), restarts: [RestartRecord] = [],
        perRank: (work: [Double], wait: [Double]) = ([], []), leafPasses: Bool = false
    ) {
        if ranks > 1 {
            workSecondsPerRank = perRank.work
            waitSecondsPerRank = perRank.wait
        }
        checkpointsWritten = checkpoints.count
        checkpointSeconds = checkpoints.seconds
        self.restarts = restarts
        self.ranks = ranks
        self.epochs = configuration.optimization.epochs
        epochsRun = epochs.count
        batchSize = plan.batchSize
        globalBatch = plan.batchSize * ranks
        scalingMode = configuration.optimization.globalBatch == nil ? "weak" : "strong"
        stepsPerEpoch = plan.stepsPerEpoch
        steps = plan.stepsPerEpoch * configuration.optimization.epochs
        parameterCount = layout.parameterCount
        testAccuracy = test.accuracy
        testCorrect = Int(test.correct)
        testCount = Int(test.total)
        perClassAccuracy = test.perClassAccuracy
        confusionMatrix = (0..<test.classCount).map {
            Array(test.confusion[($0 * test.classCount)..<(($0 + 1) * test.classCount)])
        }
        finalCost = epochs.last?.cost
        trainSeconds = epochs.reduce(0) { $0 + $1.seconds }
        secondsPerEpoch = trainSeconds / Double(max(epochs.count, 1))
        let samples = Double(plan.examplesPerRankPerEpoch * ranks * epochs.count)
        samplesPerSecond = trainSeconds > 0 ? samples / trainSeconds : 0
        computeSeconds = epochs.reduce(0) { $0 + $1.computeSeconds }
        productSeconds = epochs.reduce(0) { $0 + ($1.productSeconds ?? 0) }
        allreduceSeconds = epochs.reduce(0) { $0 + $1.allreduceSeconds }
        peakRssBytes = peakRssBytesPerRank.max() ?? 0
        self.peakRssBytesPerRank = peakRssBytesPerRank
        self.allreduceMethod = allreduceMethod
        self.compression = compression.compression.rawValue
        compressionReason = compression.reason
        compressionSecondsPerSum = compression.secondsPerSum
        self.exchangedBytesPerStep = exchangedBytesPerStep
        self.exchangedValuesPerSum = exchangedValuesPerSum
        networkLinkRate = ProcessInfo.processInfo.environment["MNIST_MPI_LINK_RATE"] ?? "not declared"
        blasCore = BLASCoreSelection.activeCoreDescription
        mpiLibrary = MPIRuntime.libraryVersion
        self.kernels = kernels.library.rawValue
        precision = kernels.precision.rawValue
        self.kernelImplementations = kernelImplementations
        elementwiseInstructionSet = VectorPasses.instructionSet
        learningRateRule = configuration.optimization.effectiveLearningRateScaling.rawValue
        learningRateFactor = schedule.factor
        peakLearningRate = schedule.peakRate
        warmupSteps = schedule.warmupSteps
        deterministic = configuration.optimization.microBatching != nil
        microBatch = configuration.optimization.microBatching?.rows
        microBatches = configuration.optimization.microBatching?.count
        self.leafPasses = configuration.optimization.microBatching != nil ? leafPasses : nil
        self.parameterFingerprint = parameterFingerprint
        self.configuration = configuration
        if let target {
            targetAccuracy = target.target
            targetReached = target.reached != nil
            timeToTargetSeconds = target.reached?.secondsFromLaunch
            timeToTargetTrainingSeconds = target.reached?.secondsFromFirstStep
            targetStep = target.reached?.step
            targetEpochs = target.reached?.epochs
            targetEvaluations = target.evaluations
            targetEvaluationSeconds = target.evaluationSeconds
            targetEvalIntervalSteps = target.interval
            if let step = target.reached?.step { steps = step }
        }
    }
}
