import Foundation
import TestSupport
import Testing
import Training

/// Each setting is declared once (`Settings`): the binary's `--help` shows the defaults the
/// configuration really has, every option of `train` has a declaration (and so a resume
/// rule), and a preset's values give way to the options given, never the other way round.
@Suite(.serialized) struct SettingDeclarationTests {
    /// `train --help` as one line of words (the help wraps at any width).
    private func helpWords() throws -> String {
        let outcome = try MPIJob.runAlone(["train", "--help"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return outcome.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Where the presets set a value, `--help` shows it: the seed preset's value, then the
    /// improved preset's where it differs. Read from the configurations, not the declarations.
    @Test func helpShowsThePresetsDefaults() throws {
        let help = try helpWords()
        let cases: [(String, [String])] = [
            ("--lr", ["\(TrainingConfiguration.seed.optimization.learningRate)", "\(TrainingConfiguration.improved.optimization.learningRate)"]),
            ("--epochs", ["\(TrainingConfiguration.seed.optimization.epochs)", "\(TrainingConfiguration.improved.optimization.epochs)"]),
            ("--batch-size", ["\(TrainingConfiguration.seed.optimization.batchSize)"]),
            ("--powersgd-rank", ["\(TrainingConfiguration.seed.communication.powerSGDRank)"]),
            ("--powersgd-warmup-steps", ["\(TrainingConfiguration.seed.communication.powerSGDWarmupSteps)"]),
            ("--timeline-steps", ["\(TrainingConfiguration.seed.reporting.timelineSteps)"]),
            ("--tensorboard-every", ["\(TrainingConfiguration.seed.reporting.tensorboardEvery)"]),
            ("--eval-every", ["\(TrainingConfiguration.seed.reporting.evalEvery)"]),
            ("--log-every", ["\(TrainingConfiguration.seed.reporting.logEvery)"]),
            ("--checkpoint-every", ["\(TrainingConfiguration.seed.reliability.checkpointEvery)"]),
            ("--compression", [TrainingConfiguration.seed.communication.compression.rawValue]),
            ("--activation", [TrainingConfiguration.seed.model.activation.rawValue, TrainingConfiguration.improved.model.activation.rawValue]),
        ]
        for (flag, values) in cases {
            let shown = "(default: \(values.joined(separator: "/")))"
            guard let start = help.range(of: "\(flag) <") else {
                Issue.record("--help has no \(flag)")
                continue
            }
            let paragraph = help[start.upperBound...].prefix(900)
            #expect(paragraph.contains(shown), "\(flag): --help should say \(shown): \(paragraph.prefix(300))")
        }
        // And for every declaration whose default comes from the presets.
        for setting in Settings.all {
            guard let shown = setting.defaultShown else { continue }
            #expect(help.contains("(default: \(shown))"), "--help lacks \(setting.flag)'s default \(shown)")
        }
    }

    /// Every option `train --help` lists is a declared setting (so it has a resume rule), but
    /// for the preset itself and help.
    @Test func everyOptionIsDeclared() throws {
        let help = try helpWords()
        let declared = Set(Settings.all.flatMap { $0.flag.split(separator: " ").map(String.init) })
        let listed = help.split(separator: " ").map(String.init)
            .filter { $0.hasPrefix("--") && $0.count > 2 && $0.dropFirst(2).allSatisfy { $0.isLowercase || $0 == "-" || $0.isNumber } }
        let notSettings: Set<String> = ["--preset", "--help", "--version"]
        let options = Set(listed).subtracting(notSettings)
        #expect(options.count >= 50, "parsed \(options.count) options from --help")
        for option in options.sorted() {
            #expect(declared.contains(option), "\(option) in --help has no declaration in Settings (and so no resume rule)")
        }
    }

    /// A preset sets values; an option given overrides them; an option not given never resets them.
    @Test func optionsOverridePresetsAndNeverTheReverse() throws {
        let summary = try MPIJob.trainSummary(ranks: 1, [
            "--preset", "improved", "--data", MPIJob.mnistDirectory, "--train-limit", "1000", "--test-limit", "100",
            "--epochs", "1", "--lr", "0.002", "--lr-decay", "none", "--kernels", "openblas",
        ])
        let configuration = try #require(summary["configuration"] as? [String: Any])
        let optimization = try #require(configuration["optimization"] as? [String: Any])
        let model = try #require(configuration["model"] as? [String: Any])
        #expect(optimization["learning_rate"] as? Double == 0.002, "given: --lr")
        #expect(optimization["learning_rate_decay"] as? String == "none", "given: --lr-decay overrides the preset's cosine")
        #expect(model["activation"] as? String == "relu", "not given: the preset's relu stays")
        let optimizer = try #require(optimization["optimizer"] as? [String: Any])
        #expect(optimizer["kind"] as? String == "adam", "not given: the preset's adam stays")
        #expect(optimization["epochs"] as? Int == 1)
    }
}
