import Foundation

/// Where the elastic supervisor learns which hosts the job may use, asked again every poll.
public enum HostSource: Sendable, CustomStringConvertible {
    /// A fixed list (`--hosts a:2,b:2`; local runs: this machine).
    case fixed([HostSlots])
    /// A hostfile, read again each time (edit it to add or drop hosts).
    case hostfile(String)
    /// A command that prints `host:slots` lines (Horovod's `--host-discovery-script`).
    case command(String)
    /// The Slurm allocation: `SLURM_JOB_NODELIST` through `scontrol show hostnames`, each
    /// with `slots` ranks.
    case slurm(slots: Int)

    public var description: String {
        switch self {
        case .fixed(let hosts): return "hosts \(hosts.map(\.description).joined(separator: ","))"
        case .hostfile(let path): return "hostfile \(path)"
        case .command(let command): return "discovery command \"\(command)\""
        case .slurm(let slots): return "the Slurm allocation (\(slots) ranks a node)"
        }
    }

    /// The hosts listed now.
    ///
    /// - Throws: `ElasticError` for an unreadable hostfile, a failing command, bad lines.
    public func hosts() throws -> [HostSlots] {
        switch self {
        case .fixed(let hosts):
            return hosts
        case .hostfile(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ElasticError.discoveryFailed(command: "read \(path)", reason: "no such readable file")
            }
            return try HostSlots.parse(String(decoding: data, as: UTF8.self), source: path)
        case .command(let command):
            let output = try ShellCommand.output(command, timeoutSeconds: 10)
            return try HostSlots.parse(output, source: "the discovery command")
        case .slurm(let slots):
            guard let nodes = ProcessInfo.processInfo.environment["SLURM_JOB_NODELIST"] else {
                throw ElasticError.discoveryFailed(command: "--slurm", reason: "SLURM_JOB_NODELIST is not set: run inside sbatch or salloc")
            }
            let output = try ShellCommand.output("scontrol show hostnames '\(nodes)'", timeoutSeconds: 10)
            return try HostSlots.parse(output, defaultSlots: slots, source: "scontrol show hostnames")
        }
    }
}

/// A shell command's standard output, bounded in time.
enum ShellCommand {
    static func output(_ command: String, timeoutSeconds: Double) throws -> String {
        // The output goes to a file (a pipe would need a reader beside the wait).
        let outputPath = NSTemporaryDirectory() + "mnist-mpi-discovery-\(getpid()).out"
        defer { unlink(outputPath) }
        guard FileManager.default.createFile(atPath: outputPath, contents: nil),
              let output = FileHandle(forWritingAtPath: outputPath) else {
            throw ElasticError.discoveryFailed(command: command, reason: "cannot write \(outputPath)")
        }
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            throw ElasticError.discoveryFailed(command: command, reason: "\(error)")
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ElasticError.discoveryFailed(command: command, reason: "no answer within \(Int(timeoutSeconds)) s")
        }
        guard process.terminationStatus == 0 else {
            throw ElasticError.discoveryFailed(command: command, reason: "exit \(process.terminationStatus)")
        }
        return String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
    }
}
