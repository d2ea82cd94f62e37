import Foundation
import MNISTData
import NeuralNet
import SwiftMPI
import RunOutput

/// The `--summary` JSON object (written by rank 0; keys in snake_case; the fields are listed in
/// docs/usage.md, section "Output files").
public struct RunSummary: Codable, Sendable {
    public var ranks: Int = 0
    public var epochs: Int = 0
    /// Epochs this process trained (fewer than `epochs` when resumed from a checkpoint).
    public var epochsRun: Int = 0
    /// Examples per rank per step.
    public var batchSize: Int = 0
    public var globalBatch: Int = 0
    /// "weak" (the per-rank batch is fixed) or "strong" (the global batch is fixed).
    public var scalingMode: String = ""
    public var stepsPerEpoch: Int = 0
    /// Optimizer steps taken in all.
    public var steps: Int = 0
    public var parameterCount: Int = 0
    /// Test accuracy on the (whole, unless limited) test set, 0...1.
    public var testAccuracy: Double = 0
    public var testCorrect: Int = 0
    public var testCount: Int = 0
    /// Per true class: the fraction classified correctly.
    public var perClassAccuracy: [Double] = []
    /// `[10][10]`: row = true class, column = predicted class.
    public var confusionMatrix: [[Int64]] = []
    /// Mean training cost of the last epoch over all ranks (nil if no epoch ran, e.g. a
    /// resumed run that had nothing left to do).
    public var finalCost: Double?
    /// Wall time of the training epochs, without start-up, data loading and the final
    /// evaluations (at log points or at the end).
    public var trainSeconds: Double = 0
    public var secondsPerEpoch: Double = 0
    /// Training samples of all ranks per second of `trainSeconds`.
    public var samplesPerSecond: Double = 0
    /// Mean over ranks of the time spent computing (batch assembly, forward, backward, update).
    public var computeSeconds: Double = 0
    /// Of `computeSeconds`, the time in the matrix products (the kernels' calls, with what they
    /// fuse), mean over ranks; compute / products is the step's distance from its products,
    /// measured in the same run.
    public var productSeconds: Double = 0
    /// Mean over ranks of the time spent in the gradient allreduce (including waiting).
    public var allreduceSeconds: Double = 0
    /// The largest rank's peak resident set size.
    public var peakRssBytes: Int = 0
    /// Every rank's peak resident set size, by rank.
    public var peakRssBytesPerRank: [Int] = []
    /// How the gradients were summed (shared-memory allreduce, MPI_Allreduce, ...).
    public var allreduceMethod: String = ""
    /// The gradient compression that ran (`--compression auto` resolved) and why: "as asked",
    /// "one node: shared memory", or the timed sums it was chosen from.
    public var compression: String = ""
    public var compressionReason: String = ""
    /// With `--compression auto` across nodes: the median seconds of one step's sum per
    /// compression, as timed at start-up (empty otherwise).
    public var compressionSecondsPerSum: [String: Double] = [:]
    /// Bytes one rank hands the allreduce per step (after PowerSGD's warm-up; 0 on one rank).
    public var exchangedBytesPerStep: Int = 0
    /// The values of each allreduce of a step (one sum, or PowerSGD's two).
    public var exchangedValuesPerSum: [Int] = []
    /// The link rate the launcher declared (MNIST_MPI_LINK_RATE, e.g. "1gbit" from
    /// scripts/cluster/netns.sh --link-rate), or "not declared".
    public var networkLinkRate: String = ""
    /// The OpenBLAS kernel family that ran the matrix products on rank 0, e.g. "SkylakeX", and
    /// the one OpenBLAS had picked by itself where mnist-mpi replaced a generic fallback.
    public var blasCore: String = ""
    /// The MPI library the ranks ran on, e.g. "Open MPI v4.1.4" or "MPICH Version: 4.0.2".
    public var mpiLibrary: String = ""
    /// The library that ran the matrix products ("openblas" or "onednn"; `--kernels auto`
    /// resolved), their precision ("fp32" or "bf16") and oneDNN's implementations, e.g.
    /// ["brg:avx512_core_bf16"] (empty with OpenBLAS).
    public var kernels: String = ""
    public var precision: String = ""
    public var kernelImplementations: [String] = []
    /// The instruction set of the element-wise passes (derivatives, optimizer, pixel scaling):
    /// "avx512f", "avx2" or "sse2", picked at load time.
    public var elementwiseInstructionSet: String = ""
    /// The learning-rate rule that ran ("linear", "sqrt" or "none"; `auto` resolved), its factor
    /// k, the peak rate (base × k) and the warm-up steps.
    public var learningRateRule: String = ""
    public var learningRateFactor: Double = 0
    public var peakLearningRate: Double = 0
    public var warmupSteps: Int = 0
    /// Whether the bits of the result do not depend on the rank count (`--deterministic`), and
    /// then the micro-batches' rows and count.
    public var deterministic: Bool = false
    public var microBatch: Int?
    public var microBatches: Int?
    /// With `--deterministic`: whether each rank's micro-batches ran as leaf passes (one forward
    /// and backward pass over the rank's batch, `Network+LeafPasses`) rather than one at a time.
    public var leafPasses: Bool?
    /// The final parameters' 64-bit FNV-1a hash (16 hex digits): equal runs, equal text.
    public var parameterFingerprint: String = ""
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
    public var configuration: TrainingConfiguration = TrainingConfiguration()

    init(
        configuration: TrainingConfiguration, ranks: Int, plan: ShardPlan, layout: NetworkLayout,
        epochs: [EpochMetrics], test: TestResult, peakRssBytesPerRank: [Int], allreduceMethod: String,
        compression: CompressionChoice,
        exchangedBytesPerStep: Int, exchangedValuesPerSum: [Int], kernels: ComputeKernels,
        kernelImplementations: [String], schedule: LearningRateSchedule, parameterFingerprint: String,
        target: TargetTracker? = nil, checkpoints: (count: Int, seconds: Double) = (0, 0), restarts: [RestartRecord] = [],
        perRank: (work: [Double], wait: [Double]) = ([], []), leafPasses: Bool = false
    ) {
        self.configuration = configuration
        self.ranks = ranks
        self.parameterFingerprint = parameterFingerprint
        self.restarts = restarts
        checkpointsWritten = checkpoints.count
        checkpointSeconds = checkpoints.seconds
        parameterCount = layout.parameterCount
        recordSteps(plan: plan, epochs: epochs)
        recordTest(test)
        recordTimes(epochs: epochs, plan: plan, peakRssBytesPerRank: peakRssBytesPerRank, perRank: perRank)
        recordExchange(
            method: allreduceMethod, compression: compression, bytesPerStep: exchangedBytesPerStep,
            valuesPerSum: exchangedValuesPerSum)
        recordCompute(kernels: kernels, implementations: kernelImplementations, schedule: schedule, leafPasses: leafPasses)
        if let target { recordTarget(target) }
    }

    /// The run's shape: epochs asked for and run, batches, steps.
    private mutating func recordSteps(plan: ShardPlan, epochs: [EpochMetrics]) {
        self.epochs = configuration.optimization.epochs
        epochsRun = epochs.count
        batchSize = plan.batchSize
        globalBatch = plan.batchSize * ranks
        scalingMode = configuration.optimization.globalBatch == nil ? "weak" : "strong"
        stepsPerEpoch = plan.stepsPerEpoch
        steps = plan.stepsPerEpoch * configuration.optimization.epochs
        finalCost = epochs.last?.cost
    }

    /// The final test: accuracy, counts, per class and the confusion matrix.
    private mutating func recordTest(_ test: TestResult) {
        testAccuracy = test.accuracy
        testCorrect = Int(test.correct)
        testCount = Int(test.total)
        perClassAccuracy = test.perClassAccuracy
        confusionMatrix = (0..<test.classCount).map {
            Array(test.confusion[($0 * test.classCount)..<(($0 + 1) * test.classCount)])
        }
    }

    /// Where the time and memory went: the epochs' seconds summed, the throughput, the peaks,
    /// and (on more than one rank) each rank's work and wait.
    private mutating func recordTimes(
        epochs: [EpochMetrics], plan: ShardPlan, peakRssBytesPerRank: [Int], perRank: (work: [Double], wait: [Double])
    ) {
        if ranks > 1 {
            workSecondsPerRank = perRank.work
            waitSecondsPerRank = perRank.wait
        }
        trainSeconds = epochs.reduce(0) { $0 + $1.seconds }
        secondsPerEpoch = trainSeconds / Double(max(epochs.count, 1))
        let samples = Double(plan.examplesPerRankPerEpoch * ranks * epochs.count)
        samplesPerSecond = trainSeconds > 0 ? samples / trainSeconds : 0
        computeSeconds = epochs.reduce(0) { $0 + $1.computeSeconds }
        productSeconds = epochs.reduce(0) { $0 + ($1.productSeconds ?? 0) }
        allreduceSeconds = epochs.reduce(0) { $0 + $1.allreduceSeconds }
        peakRssBytes = peakRssBytesPerRank.max() ?? 0
        self.peakRssBytesPerRank = peakRssBytesPerRank
    }

    /// How the gradients travelled: the sum's method, the compression and why, the bytes, the
    /// link rate and MPI library.
    private mutating func recordExchange(
        method: String, compression: CompressionChoice, bytesPerStep: Int, valuesPerSum: [Int]
    ) {
        allreduceMethod = method
        self.compression = compression.compression.rawValue
        compressionReason = compression.reason
        compressionSecondsPerSum = compression.secondsPerSum
        exchangedBytesPerStep = bytesPerStep
        exchangedValuesPerSum = valuesPerSum
        networkLinkRate = ProcessInfo.processInfo.environment["MNIST_MPI_LINK_RATE"] ?? "not declared"
        mpiLibrary = MPIRuntime.libraryVersion
    }

    /// What computed: the kernels and their implementations, the element-wise passes, the
    /// learning-rate rule, and deterministic mode's micro-batches.
    private mutating func recordCompute(
        kernels: ComputeKernels, implementations: [String], schedule: LearningRateSchedule, leafPasses: Bool
    ) {
        blasCore = BLASCoreSelection.activeCoreDescription
        self.kernels = kernels.library.rawValue
        precision = kernels.precision.rawValue
        kernelImplementations = implementations
        elementwiseInstructionSet = VectorPasses.instructionSet
        learningRateRule = configuration.optimization.effectiveLearningRateScaling.rawValue
        learningRateFactor = schedule.factor
        peakLearningRate = schedule.peakRate
        warmupSteps = schedule.warmupSteps
        deterministic = configuration.optimization.microBatching != nil
        microBatch = configuration.optimization.microBatching?.rows
        microBatches = configuration.optimization.microBatching?.count
        self.leafPasses = configuration.optimization.microBatching != nil ? leafPasses : nil
    }

    /// `--target-accuracy`: whether and when it was met (then the steps taken end there).
    private mutating func recordTarget(_ target: TargetTracker) {
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
