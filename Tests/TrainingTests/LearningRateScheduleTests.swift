import Testing
@testable import Training

@Suite struct LearningRateScheduleTests {
    @Test func linearScalingWithWarmupRampsFromBaseToScaled() {
        var config = TrainingConfiguration.seed
        config.optimization.learningRate = 0.1
        config.optimization.learningRateScaling = .linear
        config.optimization.warmupEpochs = 2
        let schedule = LearningRateSchedule(config, globalBatch: 400, stepsPerEpoch: 150)
        #expect(schedule.factor == 4)
        #expect(schedule.warmupSteps == 300)
        #expect(abs(schedule.rate(atStep: 0) - 0.1) < 1e-12)
        #expect(abs(schedule.rate(atStep: 150) - 0.25) < 1e-12)   // halfway: 0.1 * (1 + 3 * 0.5)
        #expect(abs(schedule.rate(atStep: 300) - 0.4) < 1e-12)
        #expect(abs(schedule.rate(atStep: 10_000) - 0.4) < 1e-12)
    }

    @Test func noScalingKeepsTheRate() {
        var config = TrainingConfiguration.seed
        config.optimization.learningRateScaling = .none
        let schedule = LearningRateSchedule(config, globalBatch: 800, stepsPerEpoch: 10)
        #expect(schedule.rate(atStep: 50) == 0.1)
        #expect(schedule.warmupSteps == 0)
    }

    /// The default at one rank and the batch the rate was set for is the original program:
    /// the same rate at every step, no warm-up, for the seed (SGD) and improved (Adam) presets.
    @Test func theDefaultRuleAtOneRankIsTheOriginal() {
        for preset in [TrainingConfiguration.seed, .improved] {
            #expect(preset.optimization.learningRateScaling == .auto)
            let schedule = LearningRateSchedule(preset, globalBatch: preset.optimization.batchSize, stepsPerEpoch: 600)
            let original = LearningRateSchedule(
                baseRate: preset.optimization.learningRate, factor: 1, warmupSteps: 0, decay: preset.optimization.learningRateDecay,
                totalSteps: preset.optimization.epochs * 600)
            #expect(schedule == original)
        }
    }

    @Test func autoIsLinearForSGDAndSquareRootForAdamWithWarmup() {
        let seed = LearningRateSchedule(.seed, globalBatch: 800, stepsPerEpoch: 75)
        #expect(seed.factor == 8)
        #expect(seed.warmupSteps == 150)   // 2 epochs
        let improved = LearningRateSchedule(.improved, globalBatch: 1600, stepsPerEpoch: 37)
        #expect(improved.factor == 4)
        #expect(abs(improved.peakRate - 0.004) < 1e-15)
    }

    /// Below the reference batch the smaller rate holds from the first step: a ramp down from
    /// the larger base rate would start with the steps warm-up exists to avoid.
    @Test func warmUpOnlyRampsUp() {
        let schedule = LearningRateSchedule(baseRate: 1, factor: 0.25, warmupSteps: 100, totalSteps: 1000)
        #expect(schedule.rate(atStep: 0) == 0.25)
        #expect(schedule.rate(atStep: 50) == 0.25)
    }

    @Test func theReferenceBatchDefaultsToTheBatchSize() {
        var config = TrainingConfiguration.seed
        config.optimization.batchSize = 50
        #expect(config.optimization.learningRateFactor(globalBatch: 100) == 2)   // 2 ranks x 50
        config.optimization.lrReferenceBatch = 100
        #expect(config.optimization.learningRateFactor(globalBatch: 100) == 1)
        config.optimization.learningRateScaling = .sqrt
        #expect(config.optimization.learningRateFactor(globalBatch: 400) == 2)
    }

    @Test func globalBatchSplitsEvenlyOrFailsWithOneLine() throws {
        var config = TrainingConfiguration.seed
        config.optimization.globalBatch = 300
        #expect(try config.perRankBatch(ranks: 3) == 100)
        let error = try #require(throws: TrainingError.self) { try config.perRankBatch(ranks: 7) }
        #expect(error.description.contains("--global-batch 300"))
        #expect(!error.description.contains("\n"))
    }

    @Test func presetsDifferWhereTheIssueSays() {
        let improved = TrainingConfiguration.improved
        #expect(improved.model.activation == .relu)
        #expect(improved.model.initializer == .he)
        #expect(improved.optimization.optimizer.kind == .adam)
        #expect(improved.optimization.learningRate == 0.001)
        #expect(improved.optimization.batchSize == 100)
        #expect(improved.model.hiddenSizes == [256, 256])
    }

    @Test func testResultCountsFromConfusionMatrix() {
        // 3 classes: row = truth. 5 + 3 + 1 correct of 12.
        let result = TestResult(classCount: 3, confusion: [5, 1, 0, 2, 3, 0, 0, 0, 1])
        #expect(result.correct == 9)
        #expect(result.total == 12)
        #expect(abs(result.accuracy - 0.75) < 1e-12)
        #expect(result.perClassAccuracy == [5.0 / 6, 3.0 / 5, 1])
        #expect(result.tableLines(classNames: ["a", "b", "c"]).count == 5)
    }
}
