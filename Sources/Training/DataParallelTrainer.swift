import MNISTData
import MPI
import NeuralNet

/// Synchronous data-parallel training of an MLP over all ranks of a communicator.
///
/// Each rank reads only its shard of the training set and takes the same number of steps per
/// epoch. A step is: local forward and backward on the rank's batch, one in-place allreduce
/// (sum) of the flat gradient buffer, and the same SGD update on every rank with the 1/ranks
/// of averaging folded into the learning rate. Parameters therefore stay bit-identical on all
/// ranks; a fingerprint reduced with MIN and MAX checks that at every log point.
public final class DataParallelTrainer {
    public let configuration: TrainingConfiguration
    public let communicator: Communicator
    private let logger: Logger

    /// The model's input width (784 for MNIST's 28×28 images).
    public static let inputSize = 784
    /// MNIST's ten digits.
    public static let classCount = 10

    public init(configuration: TrainingConfiguration, communicator: Communicator, logger: Logger) {
        self.configuration = configuration
        self.communicator = communicator
        self.logger = logger
    }

    /// Loads the data, trains for `configuration.epochs` epochs, evaluates and writes the
    /// outputs. Every rank must call it.
    ///
    /// - Returns: the run summary (meaningful on every rank; rank 0 also writes it).
    /// - Throws: `CollectiveFailure` for errors every rank agreed on (bad data, bad paths),
    ///   `TrainingError.parametersDiverged`, or `MPIError`.
    public func run() throws -> RunSummary {
        let config = configuration
        setBLASThreads(config.blasThreads)
        let startTime = Communicator.wallTime()
        let data = try communicator.agreeingOnFailure { try loadData() }
        let outputs = try communicator.agreeingOnFailure {
            communicator.isRoot
                ? try OutputFiles(summaryPath: config.summaryPath, metricsPath: config.metricsPath)
                : nil
        }

        let layout = MLPLayout(sizes: config.layerSizes(
            inputSize: DataParallelTrainer.inputSize, classCount: DataParallelTrainer.classCount))
        let model = MLP(layout: layout, activation: config.activation)
        if communicator.isRoot {
            var random = RandomSource(seed: config.seed)
            model.initialize(config.initializer, random: &random)
        }
        try communicator.broadcast(model.parameters.buffer, root: 0)
        logBanner(layout: layout, plan: data.plan, dataSeconds: Communicator.wallTime() - startTime)

        let epochs = try train(model: model, data: data, outputs: outputs)

        let evaluation = data.test.map { Evaluator(examples: $0, layout: layout) }
        let testAccuracy = evaluation?.accuracy(model: model) ?? 0
        var peak = [Int64(peakResidentBytes())]
        try communicator.allReduce(&peak, .max)
        try writeRankParameters(model)

        let trainSeconds = epochs.reduce(0) { $0 + $1.seconds }
        let samples = Double(data.plan.examplesPerRankPerEpoch * communicator.size * config.epochs)
        let summary = RunSummary(
            ranks: communicator.size, epochs: config.epochs, batchSize: config.batchSize,
            globalBatch: config.batchSize * communicator.size, scalingMode: "weak",
            stepsPerEpoch: data.plan.stepsPerEpoch, steps: data.plan.stepsPerEpoch * config.epochs,
            parameterCount: layout.parameterCount, testAccuracy: testAccuracy,
            finalCost: epochs.last?.cost ?? .nan, trainSeconds: trainSeconds,
            secondsPerEpoch: trainSeconds / Double(config.epochs),
            samplesPerSecond: samples / trainSeconds,
            computeSeconds: epochs.reduce(0) { $0 + $1.computeSeconds },
            allreduceSeconds: epochs.reduce(0) { $0 + $1.allreduceSeconds },
            peakRssBytes: Int(peak[0]), configuration: config)
        logger.info(String(
            format: "done: %d epochs in %.1f s (%.2f s/epoch, %.0f samples/s; per epoch compute %.2f s, allreduce %.3f s)",
            config.epochs, trainSeconds, summary.secondsPerEpoch, summary.samplesPerSecond,
            summary.computeSeconds / Double(config.epochs),
            summary.allreduceSeconds / Double(config.epochs)))
        logger.info(String(format: "test accuracy %.2f%%", testAccuracy * 100))
        try communicator.agreeingOnFailure { try outputs?.writeSummary(summary) }
        return summary
    }

    // MARK: - Data

    struct RankData {
        let plan: ShardPlan
        let shard: LabeledImages
        /// The test set, on rank 0 only.
        let test: LabeledImages?
        let trainCount: Int
    }

    private func loadData() throws -> RankData {
        let config = configuration
        let train = try MNISTSource(directory: config.dataDirectory, split: .train)
        try checkInputSize(train.pixelsPerImage, path: train.imagesPath)
        let trainCount = min(config.trainLimit ?? train.count, train.count)
        let plan = try ShardPlan(
            exampleCount: trainCount, batchSize: config.batchSize, rankCount: communicator.size)
        var test: LabeledImages? = nil
        if communicator.isRoot {
            let source = try MNISTSource(directory: config.dataDirectory, split: .test)
            try checkInputSize(source.pixelsPerImage, path: source.imagesPath)
            test = try source.load(range: 0..<min(config.testLimit ?? source.count, source.count))
        }
        let shard = try train.load(range: plan.shard(rank: communicator.rank))
        return RankData(plan: plan, shard: shard, test: test, trainCount: trainCount)
    }

    private func checkInputSize(_ pixels: Int, path: String) throws {
        guard pixels == DataParallelTrainer.inputSize else {
            throw TrainingError.inputSizeMismatch(
                path: path, pixels: pixels, inputLayer: DataParallelTrainer.inputSize)
        }
    }

    // MARK: - The training loop

    private func train(model: MLP, data: RankData, outputs: OutputFiles?) throws -> [EpochMetrics] {
        let config = configuration
        let plan = data.plan
        let batches = BatchAssembler(examples: data.shard, batchSize: config.batchSize)
        let workspace = MLPWorkspace(layout: model.layout, capacity: config.batchSize)
        let optimizer = StochasticGradientDescent(learningRate: Float(config.learningRate))
        let gradientScale = 1 / Float(communicator.size)
        let evaluator = data.test.map { Evaluator(examples: $0, layout: model.layout) }
        var history: [EpochMetrics] = []

        for epoch in 0..<config.epochs {
            var random = RandomSource(
                seed: config.seed, stream: UInt64(communicator.rank) << 32 | UInt64(epoch + 1))
            let epochStart = Communicator.wallTime()
            batches.shuffle(random: &random)
            var lossSum = 0.0
            var computeSeconds = 0.0
            var allreduceSeconds = 0.0
            for step in 0..<plan.stepsPerEpoch {
                let computeStart = Communicator.wallTime()
                batches.assemble(step: step)
                lossSum += model.lossAndGradients(
                    input: batches.input.pointer, labels: batches.labels,
                    rows: config.batchSize, workspace: workspace)
                let reduceStart = Communicator.wallTime()
                try communicator.allReduce(model.gradients.buffer, .sum)
                let reduceEnd = Communicator.wallTime()
                optimizer.step(
                    parameters: model.parameters, gradients: model.gradients,
                    gradientScale: gradientScale)
                computeSeconds += (reduceStart - computeStart) + (Communicator.wallTime() - reduceEnd)
                allreduceSeconds += reduceEnd - reduceStart
            }
            // One small collective per epoch: cost and timings summed over ranks.
            var totals = [lossSum, computeSeconds, allreduceSeconds]
            try communicator.allReduce(&totals, .sum)
            let seconds = Communicator.wallTime() - epochStart
            let ranks = Double(communicator.size)
            var metrics = EpochMetrics(
                epoch: epoch, cost: totals[0] / (Double(plan.stepsPerEpoch) * ranks),
                testAccuracy: nil, seconds: seconds, computeSeconds: totals[1] / ranks,
                allreduceSeconds: totals[2] / ranks,
                samplesPerSecond: Double(plan.examplesPerRankPerEpoch) * ranks / seconds)

            if epoch % config.logEvery == 0 {
                try checkParametersInSync(model, epoch: epoch)
                metrics.testAccuracy = evaluator?.accuracy(model: model)
                logEpoch(metrics)
            }
            try outputs?.appendMetrics(metrics)
            history.append(metrics)
        }
        return history
    }

    // MARK: - Consistency

    /// Stops the job if any rank's parameters differ from the others' (one collective).
    private func checkParametersInSync(_ model: MLP, epoch: Int) throws {
        let fingerprint = ParameterFingerprint(model.parameters)
        // max of x and of -x in one reduction gives max and min.
        var values = [fingerprint.high, fingerprint.low, -fingerprint.high, -fingerprint.low]
        try communicator.allReduce(&values, .max)
        guard values[0] == -values[2], values[1] == -values[3] else {
            throw TrainingError.parametersDiverged(epoch: epoch)
        }
    }

    private func writeRankParameters(_ model: MLP) throws {
        guard let directory = configuration.rankParametersDirectory else { return }
        let path = "\(directory)/rank-\(communicator.rank).f32"
        try communicator.agreeingOnFailure {
            try writeFloats(model.parameters.buffer, to: path)
        }
    }

    // MARK: - Logging

    private func logBanner(layout: MLPLayout, plan: ShardPlan, dataSeconds: Double) {
        let config = configuration
        let ranks = communicator.size
        let initializer: String
        switch config.initializer {
        case .normal(let deviation): initializer = "normal(\(deviation))"
        case .xavier: initializer = "xavier"
        case .he: initializer = "he"
        }
        logger.info(
            "mnist-mpi: \(ranks) rank\(ranks == 1 ? "" : "s"), preset \(config.preset), "
                + "\(layout.sizes.map(String.init).joined(separator: "-")) \(config.activation.rawValue), "
                + "init \(initializer), sgd lr \(config.learningRate), "
                + "batch \(config.batchSize) per rank (global \(config.batchSize * ranks)), "
                + "\(plan.stepsPerEpoch) steps/epoch, \(config.epochs) epochs, seed \(config.seed)")
        logger.info(String(
            format: "data: %d training examples (%d per rank), loaded in %.2f s from %@",
            plan.exampleCount, plan.shard(rank: 0).count, dataSeconds, config.dataDirectory))
    }

    private func logEpoch(_ metrics: EpochMetrics) {
        var line = String(format: "epoch %3d  cost %.6f", metrics.epoch, metrics.cost)
        if let accuracy = metrics.testAccuracy { line += String(format: "  test %.2f%%", accuracy * 100) }
        line += String(format: "  %.2f s", metrics.seconds)
        logger.info(line)
    }
}
