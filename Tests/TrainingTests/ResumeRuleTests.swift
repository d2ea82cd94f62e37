import Foundation
import Testing
@testable import Training

/// The resume policies: declared once beside the settings, kept in checkpoints, documented.
@Suite struct ResumeRuleTests {
    /// Every option appears in one rule only, so a change is reported once.
    @Test func everyOptionHasOneRule() {
        let options = TrainingConfiguration.resumeRules.flatMap { $0.option.split(separator: " ") }
        #expect(Set(options).count == options.count, "\(options)")
        #expect(options.contains("--precision") && options.contains("--compression") && options.contains("--kernels"))
    }

    /// The checkpoint keeps exactly the refused and warned settings, and a change to any of
    /// them changes the fingerprint while paths and the epoch count do not.
    @Test func resumeValuesFollowThePolicies() {
        let seed = TrainingConfiguration.seed
        let kept = Set(seed.resumeValues.keys)
        let expected = Set(TrainingConfiguration.resumeRules.filter { $0.policy != .free }.map(\.option))
        #expect(kept == expected)
        var changed = seed
        changed.compute.precision = .bf16
        #expect(changed.resumeValues["--precision"] == "bf16")
        #expect(changed.trajectoryFingerprint != seed.trajectoryFingerprint)
        var free = seed
        free.optimization.epochs = 99
        free.reporting.summaryPath = "/elsewhere.json"
        free.data.dataDirectory = "/other"
        #expect(free.trajectoryFingerprint == seed.trajectoryFingerprint)
    }

    /// docs/reliability.md's table names every rule with its policy, so the docs cannot fall
    /// behind the code.
    @Test func theDocumentationListsEveryRule() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/reliability.md"), encoding: .utf8)
        for rule in TrainingConfiguration.resumeRules {
            #expect(text.contains("| `\(rule.option)` | \(rule.policy.rawValue) |"), "docs/reliability.md lacks \(rule.option)")
        }
    }
}
