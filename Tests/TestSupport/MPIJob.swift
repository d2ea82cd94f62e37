import Foundation

/// Launches `mpirun -np N mnist-mpi ARGS` as a subprocess with a time limit, for the
/// multi-rank tests, and captures what it printed.
public struct MPIJob {
    /// The outcome of one launch.
    public struct Outcome {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public let seconds: Double
        /// Whether the time limit ran out and the job was killed (a hang).
        public let timedOut: Bool

        /// stderr's non-empty lines.
        public var errorLines: [Substring] { stderr.split(separator: "\n").filter { !$0.isEmpty } }
    }

    /// The mnist-mpi binary: $MNIST_MPI_BIN (scripts/test.sh sets the release build), else the
    /// one built beside this test bundle, else .build/debug/mnist-mpi.
    public static var binary: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["MNIST_MPI_BIN"], !path.isEmpty { return path }
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0])
            .deletingLastPathComponent().appendingPathComponent("mnist-mpi").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        return FileManager.default.currentDirectoryPath + "/.build/debug/mnist-mpi"
    }

    /// Open MPI's launcher by its own name where Debian's alternatives also offer MPICH's
    /// (`mpirun.openmpi`), else `mpirun`: these tests depend on Open MPI's launch behaviour.
    static var openMPILauncher: String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        let named = path.split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/mpirun.openmpi")
        }
        return named ? "mpirun.openmpi" : "mpirun"
    }

    /// The real MNIST folder: $MNIST_TEST_DATA, $MNIST_DIR or data/mnist.
    public static var mnistDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["MNIST_TEST_DATA"] ?? environment["MNIST_DIR"]
            ?? FileManager.default.currentDirectoryPath + "/data/mnist"
    }

    /// Runs the binary on `ranks` ranks (oversubscribed if needed) and waits at most
    /// `timeout` seconds, killing the whole job after that.
    ///
    /// - Parameter environment: variables set for every rank (mpirun's `-x NAME=VALUE`).
    public static func run(
        ranks: Int, _ arguments: [String], timeout: Double = 60, user: String? = nil,
        environment: [String: String] = [:]
    ) throws -> Outcome {
        try start(ranks: ranks, arguments, user: user, environment: environment).wait(timeout: timeout)
    }

    /// Runs the binary alone, without mpirun (for the commands that need no MPI).
    public static func runAlone(_ arguments: [String], timeout: Double = 60) throws -> Outcome {
        let outputFile = try temporaryFile("stdout"), errorFile = try temporaryFile("stderr")
        let process = try ChildProcess(
            [binary] + arguments, environment: ProcessInfo.processInfo.environment,
            stdout: outputFile.path, stderr: errorFile.path)
        return Running(process: process, outputFile: outputFile, errorFile: errorFile, started: Date())
            .wait(timeout: timeout)
    }

    /// Starts the binary alone (no mpirun), without waiting: for `mnist-mpi elastic`, which
    /// launches mpirun itself. The environment is the test launcher's (no MPI singleton's variables).
    public static func startAlone(_ arguments: [String]) throws -> Running {
        let outputFile = try temporaryFile("stdout"), errorFile = try temporaryFile("stderr")
        let process = try ChildProcess(
            [binary] + arguments, environment: launcherEnvironment, stdout: outputFile.path, stderr: errorFile.path)
        return Running(process: process, outputFile: outputFile, errorFile: errorFile, started: Date())
    }

    /// Starts the binary on `ranks` ranks without waiting (to signal it while it runs).
    ///
    /// - Parameter user: run as this user (through setpriv; the caller must be root).
    public static func start(
        ranks: Int, _ arguments: [String], user: String? = nil, environment: [String: String] = [:]
    ) throws -> Running {
        let program = try user.map { try binary(runnableBy: $0) } ?? binary
        let exported = environment.sorted { $0.key < $1.key }.flatMap { ["-x", "\($0.key)=\($0.value)"] }
        return try start(launching: ["-np", String(ranks)] + exported + [program] + arguments, user: user)
    }

    /// Runs one rank per entry of `argumentsPerRank`, each with its own arguments (mpirun's
    /// `-np 1 A : -np 1 B` form), and waits at most `timeout` seconds.
    public static func runEach(_ argumentsPerRank: [[String]], timeout: Double = 60) throws -> Outcome {
        let apps = argumentsPerRank.enumerated().flatMap { index, arguments in
            (index > 0 ? [":"] : []) + ["-np", "1", binary] + arguments
        }
        return try start(launching: apps, user: nil).wait(timeout: timeout)
    }

    /// Starts `mpirun` with the test settings and then `apps` (rank counts, programs, arguments).
    private static func start(launching apps: [String], user: String?) throws -> Running {
        let launch = [openMPILauncher, "--quiet", "--oversubscribe", "--bind-to", "none"] + apps
        let environment = launcherEnvironment
        let outputFile = try temporaryFile("stdout"), errorFile = try temporaryFile("stderr")
        // Another user starts in / : the test's working folder may be private to root.
        let command = user.map {
            ["setpriv", "--reuid=\($0)", "--regid=\($0)", "--clear-groups", "sh", "-c", "cd / && exec \"$@\"", "sh"] + launch
        } ?? launch
        let process = try ChildProcess(
            command, environment: environment, stdout: outputFile.path, stderr: errorFile.path)
        return Running(process: process, outputFile: outputFile, errorFile: errorFile, started: Date())
    }

    /// The environment mpirun gets: MPI_Init in this test process (the singleton MPI tests)
    /// sets OMPI_*/PMIX_* variables that would make a child mpirun think it is part of this
    /// process's job; root may run it; one BLAS thread a rank.
    static var launcherEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "PMI_", "OPAL_", "ORTE_"].contains { key.hasPrefix($0) }
        }
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        return environment
    }

    /// The binary, or a copy of it in a world-readable temporary folder when `user` cannot
    /// reach it where it was built (e.g. a checkout under a private home folder).
    static func binary(runnableBy user: String) throws -> String {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["setpriv", "--reuid=\(user)", "--regid=\(user)", "--clear-groups", "test", "-x", binary]
        try check.run()
        check.waitUntilExit()
        if check.terminationStatus == 0 { return binary }
        let folder = try temporaryDirectory("binary")
        chmod(folder, 0o755)
        let copy = folder + "/mnist-mpi"
        try FileManager.default.copyItem(atPath: binary, toPath: copy)
        chmod(copy, 0o755)
        return copy
    }

    /// A job in flight.
    public struct Running {
        public let process: ChildProcess
        let outputFile: URL
        let errorFile: URL
        let started: Date

        /// mpirun's process id.
        public var pid: Int32 { process.pid }

        /// The ranks' process ids (mpirun's children).
        public func rankPIDs() -> [Int32] {
            let pgrep = Process()
            pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            pgrep.arguments = ["pgrep", "-P", String(pid)]
            let pipe = Pipe()
            pgrep.standardOutput = pipe
            guard (try? pgrep.run()) != nil else { return [] }
            pgrep.waitUntilExit()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return text.split(separator: "\n").compactMap { Int32($0) }
        }

        /// Waits for the job to end, killing it after `timeout` seconds.
        public func wait(timeout: Double) -> Outcome {
            var timedOut = false
            let deadline = started.addingTimeInterval(timeout)
            while process.isRunning {
                if Date() > deadline {
                    timedOut = true
                    kill(process.pid, SIGTERM)
                    usleep(500_000)
                    if process.isRunning { kill(process.pid, SIGKILL) }
                    while process.isRunning { usleep(20_000) }
                    break
                }
                usleep(20_000)
            }
            defer {
                try? FileManager.default.removeItem(at: outputFile)
                try? FileManager.default.removeItem(at: errorFile)
            }
            return Outcome(
                status: process.poll() ?? -1,
                stdout: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "",
                seconds: Date().timeIntervalSince(started), timedOut: timedOut)
        }
    }

    /// A fresh empty temporary folder.
    public static func temporaryDirectory(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "mnist-mpi-\(name)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static func temporaryFile(_ name: String) throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory() + "mnist-mpi-\(name)-" + UUID().uuidString)
        defer { chmod(url.path, 0o666) }
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return url
    }
}

extension MPIJob {
    /// Runs `mnist-mpi train ARGS --summary FILE` on `ranks` ranks and returns the summary
    /// JSON object, or throws when the run failed.
    public static func trainSummary(
        ranks: Int, _ arguments: [String], timeout: Double = 300, environment: [String: String] = [:]
    ) throws -> [String: Any] {
        let directory = try temporaryDirectory("summary")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/summary.json"
        let outcome = try run(ranks: ranks, ["train"] + arguments + ["--summary", path], timeout: timeout, environment: environment)
        guard outcome.status == 0 else {
            throw JobFailure(description: "mpirun -np \(ranks) train \(arguments) failed: \(outcome.stderr)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let summary = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw JobFailure(description: "\(path) is not a JSON object")
        }
        return summary
    }

    /// The test hook that has every rank write its final parameters to `directory/rank-N.f32`
    /// (for `environment:`).
    public static func rankParametersHook(_ directory: String) -> [String: String] {
        ["MNIST_MPI_TEST_HOOKS": "rank-parameters-dir=\(directory)"]
    }

    /// A launch that did not succeed.
    public struct JobFailure: Error, CustomStringConvertible {
        public let description: String
    }
}
