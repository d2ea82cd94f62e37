import Testing
@testable import Training

@Suite struct LearningRateScheduleTests {
    @Test func linearScalingWithWarmupRampsFromBaseToScaled() {
        var config = TrainingConfiguration.seed
        config.learningRate = 0.1
        config.learningRateScaling = .linear
        config.warmupEpochs = 2
        let schedule = LearningRateSchedule(config, ranks: 4, stepsPerEpoch: 150)
        #expect(schedule.factor == 4)
        #expect(schedule.warmupSteps == 300)
        #expect(abs(schedule.rate(atStep: 0) - 0.1) < 1e-12)
        #expect(abs(schedule.rate(atStep: 150) - 0.25) < 1e-12)   // halfway: 0.1 * (1 + 3 * 0.5)
        #expect(abs(schedule.rate(atStep: 300) - 0.4) < 1e-12)
        #expect(abs(schedule.rate(atStep: 10_000) - 0.4) < 1e-12)
    }

    @Test func noScalingAndStrongScalingKeepTheRate() {
        var config = TrainingConfiguration.seed
        #expect(LearningRateSchedule(config, ranks: 8, stepsPerEpoch: 10).rate(atStep: 50) == 0.1)
        config.learningRateScaling = .linear
        config.globalBatch = 200
        #expect(LearningRateSchedule(config, ranks: 8, stepsPerEpoch: 10).factor == 1)
    }

    @Test func globalBatchSplitsEvenlyOrFailsWithOneLine() throws {
        var config = TrainingConfiguration.seed
        config.globalBatch = 300
        #expect(try config.perRankBatch(ranks: 3) == 100)
        let error = try #require(throws: TrainingError.self) { try config.perRankBatch(ranks: 7) }
        #expect(error.description.contains("--global-batch 300"))
        #expect(!error.description.contains("\n"))
    }

    @Test func presetsDifferWhereTheIssueSays() {
        let improved = TrainingConfiguration.improved
        #expect(improved.activation == .relu)
        #expect(improved.initializer == .he)
        #expect(improved.optimizer.kind == .adam)
        #expect(improved.learningRate == 0.001)
        #expect(improved.batchSize == 100)
        #expect(improved.hiddenSizes == [256, 256])
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
