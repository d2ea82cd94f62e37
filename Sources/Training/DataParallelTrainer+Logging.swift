import Foundation
import MNISTData
import NeuralNet
import RunOutput

extension DataParallelTrainer {
    func logBanner(
        layout: NetworkLayout, data: RankData, schedule: LearningRateSchedule, exchange: GradientExchange,
        workspace: NetworkWorkspace, leafPasses: Bool, dataSeconds: Double
    ) {
        let config = configuration
        let ranks = communicator.size
        let plan = data.plan
        let mode = config.optimization.globalBatch == nil ? "weak scaling" : "strong scaling"
        let microBatching = config.optimization.microBatching.map { batching in
            let counts = (config.optimization.sameBitsRankCounts ?? []).map(String.init).joined(separator: ", ")
            let passes = leafPasses ? " in one forward and backward pass over the rank's batch" : ""
            return ", deterministic (\(batching.count) micro-batches of \(batching.rows): the same bits on \(counts) ranks)\(passes)"
        } ?? ""
        logger.info(
            "mnist-mpi: \(ranks) rank\(ranks == 1 ? "" : "s"), preset \(config.preset)\(config.presetOriginNote), \(config.data.dataset.rawValue), "
                + "\(modelDescription(layout, named: NamedModel.name(of: config.model.layers))) \(config.model.activation.rawValue), "
                + "init \(describe(config.model.initializer)), \(describe(config.optimization.optimizer)) lr \(config.optimization.learningRate)"
                + (schedule.factor != 1
                    ? String(format: " x%.3g = %.4g (%@ scaling, global batch %d / %d; warm-up %d steps)",
                             schedule.factor, schedule.peakRate, config.optimization.effectiveLearningRateScaling.rawValue,
                             plan.batchSize * ranks, config.optimization.learningRateReferenceBatch, schedule.warmupSteps)
                    : "")
                + ", batch \(plan.batchSize) per rank (global \(plan.batchSize * ranks), \(mode))\(microBatching), "
                + "\(plan.stepsPerEpoch) steps/epoch, \(config.optimization.epochs) epochs, seed \(config.optimization.seed)"
                + (ranks > 1 ? ", \(exchange.methodDescription)" : "")
                + ", " + describe(workspace) + ", element-wise \(VectorPasses.instructionSetDescription)"
                + ", stall timeout " + stallTimeoutText)
        if let line = config.presetOriginLine { logger.info(line) }
        let choice = exchange.compressionChoice
        if config.communication.compression == .auto, !choice.secondsPerSum.isEmpty {
            logger.info("compression auto: \(choice.compression.rawValue), \(choice.reason)")
        }
        logger.info(String(
            format: "data: %d training examples (%d read by each rank), %d test (%@), loaded in %.2f s from %@",
            plan.exampleCount, data.shard.count, data.testCount,
            config.reporting.evaluation == .rank0 ? "rank 0" : "sharded", dataSeconds, config.data.dataDirectory))
    }

    func logFinish(_ summary: RunSummary, test: TestResult) {
        let epochs = Double(max(summary.epochsRun, 1))
        logger.info(String(
            format: "done: %d epochs in %.1f s (%.2f s/epoch, %.0f samples/s; per epoch compute %.2f s"
                + " of which matrix products %.2f s, allreduce %.3f s)",
            summary.epochsRun, summary.trainSeconds, summary.secondsPerEpoch, summary.samplesPerSecond,
            summary.computeSeconds / epochs, summary.productSeconds / epochs, summary.allreduceSeconds / epochs))
        test.tableLines(classNames: configuration.data.dataset.classNames).forEach(logger.info)
        logger.info(String(format: "test accuracy %.2f%%", test.accuracy * 100))
        logger.info("parameter fingerprint \(summary.parameterFingerprint)")
    }

    /// E.g. "30 s", "off", or the rule of the default (`StallTimeoutRule.description`).
    private var stallTimeoutText: String {
        guard let seconds = configuration.reliability.stallTimeout else { return StallTimeoutRule.description }
        return seconds == 0 ? "off" : "\(Settings.stallTimeout.text(seconds)) s"
    }

    /// E.g. "OpenBLAS SkylakeX fp32" or "oneDNN 2.6.3 bf16 (brg:avx512_core_bf16)".
    private func describe(_ workspace: NetworkWorkspace) -> String {
        let precision = workspace.kernels.precision.rawValue
        switch workspace.kernels.library {
        case .openblas:
            return "OpenBLAS \(BLASCoreSelection.activeCoreDescription) \(precision)"
        case .onednn:
            let version = (try? OneDNN.load().version) ?? "?"
            return "oneDNN \(version) \(precision) (\(workspace.implementations.joined(separator: ", ")))"
        }
    }

    private func describe(_ initializer: Initializer) -> String {
        switch initializer {
        case .normal(let deviation): return "normal(\(deviation))"
        case .xavier: return "xavier"
        case .he: return "he"
        }
    }

    private func describe(_ optimizer: OptimizerConfiguration) -> String {
        var text = optimizer.kind.rawValue
        switch optimizer.kind {
        case .sgd: break
        case .momentum: text += "(\(optimizer.momentum)\(optimizer.nesterov ? ", nesterov" : ""))"
        case .adam, .lamb: text += "(\(optimizer.beta1), \(optimizer.beta2), \(optimizer.epsilon))"
        case .lars: text += "(\(optimizer.momentum), trust \(optimizer.trustCoefficient))"
        }
        if optimizer.weightDecay > 0 { text += " wd \(optimizer.weightDecay)" }
        return text
    }
}

/// "784-256-256-10" for a multilayer perceptron; "lenet5 = conv5x5x6p2,...,fc10 (61706
/// parameters)" for a model of named layers.
func modelDescription(_ layout: NetworkLayout, named name: String) -> String {
    guard layout.specs != nil else { return layout.architecture }
    let layers = name == layout.architecture ? "" : " = \(layout.architecture)"
    return name + layers + " (\(layout.parameterCount) parameters)"
}
