import Foundation
import Testing
@testable import Training

/// The resume policies: declared once with each setting, kept in checkpoints, documented.
@Suite struct ResumeRuleTests {
    /// Every flag belongs to one setting only, so a change is reported once.
    @Test func everyFlagHasOneSetting() {
        let flags = Settings.all.flatMap { $0.flag.split(separator: " ") }
        #expect(Set(flags).count == flags.count, "\(flags)")
        #expect(flags.contains("--precision") && flags.contains("--compression") && flags.contains("--kernels"))
    }

    /// The checkpoint keeps exactly the refused and warned settings, and a change to any of
    /// them changes the fingerprint while paths and the epoch count do not.
    @Test func resumeValuesFollowThePolicies() {
        let seed = TrainingConfiguration.seed
        let kept = Set(seed.resumeValues.keys)
        let expected = Set(Settings.all.filter { $0.resume != .free }.map(\.flag))
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

    /// docs/cli.md's settings table (`mnist-mpi settings --markdown`) names every setting with
    /// its policy, so the docs cannot fall behind the code.
    @Test func theDocumentationListsEverySetting() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/cli.md"), encoding: .utf8)
        for setting in Settings.all {
            #expect(text.contains("| `\(setting.flag)` | \(setting.section.rawValue) | \(setting.defaultShown ?? "") | \(setting.resume.rawValue) |"),
                    "docs/cli.md lacks \(setting.flag): run scripts/cli-docs.sh")
        }
    }
}
