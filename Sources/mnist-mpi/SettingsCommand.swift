import ArgumentParser
import Foundation
import Training

/// `mnist-mpi settings`: every setting of `train` from its one declaration: the flag, its
/// section, the default as the presets have it, and what a resume may change.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List train's settings: section, default (seed/improved) and resume policy.")

    @Flag(help: "A Markdown table (docs/cli.md's), with why each resume policy is what it is.")
    var markdown = false

    func run() throws {
        if markdown {
            print("| setting | section | default | resume | why |")
            print("|---|---|---|---|---|")
            for setting in Settings.all {
                print("| `\(setting.flag)` | \(setting.section.rawValue) | \(setting.defaultShown ?? "") | \(setting.resume.rawValue) | \(setting.resumeNote) |")
            }
            return
        }
        let width = Settings.all.map(\.flag.count).max() ?? 0
        for setting in Settings.all {
            let flag = setting.flag.padding(toLength: width, withPad: " ", startingAt: 0)
            print("\(flag)  \(setting.resume.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(setting.defaultShown ?? "-")")
        }
    }
}
