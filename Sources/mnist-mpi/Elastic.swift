import ArgumentParser
import Elastic
import Foundation
import RunOutput
import Training

/// `mnist-mpi elastic`: runs `mnist-mpi train` under a supervisor that relaunches it on the
/// hosts that answer (a lost host, a dead rank, a new host).
struct ElasticCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elastic",
        abstract: "Train under a supervisor that survives lost hosts and takes in new ones (run it once, not under mpirun).",
        discussion: """
            Options after -- go to mnist-mpi train; they must include --checkpoint FILE (the relaunches \
            continue from it) and should include --checkpoint-every-steps K (at most K steps redone) and \
            --global-batch G (the trajectory does not change with the rank count). Examples:
              mnist-mpi elastic --hosts localhost:2 -- --checkpoint run.ckpt --checkpoint-every-steps 50 --global-batch 200
              mnist-mpi elastic --discover ./list-hosts.sh --probe-port 22 --min-hosts 2 --launch scripts/cluster/mpirun-hosts.sh -- ...
            The restarts are kept in FILE.restarts.json and in the trainer's summary.
            """)

    @Option(help: "The hosts, host:slots separated by commas (default: localhost with one slot per core; in a Slurm job: its nodes).")
    var hosts: String?

    @Option(help: "A hostfile (host:slots or host slots=N lines), read again every poll: edit it to add or drop hosts.")
    var hostfile: String?

    @Option(help: "A command that prints the available hosts as host:slots lines, run every poll.")
    var discover: String?

    @Flag(help: "The hosts of this Slurm job (SLURM_JOB_NODELIST), --slots ranks each.")
    var slurm = false

    @Option(help: "Ranks per host where the source names none. (default: 1; Slurm: SLURM_NTASKS_PER_NODE)")
    var slots: Int?

    @Option(help: "A host counts only while it accepts a TCP connection on this port (22 for sshd, 6818 for slurmd). (default: listed is enough)")
    var probePort: Int?

    @Flag(help: "The probed port speaks first (22: sshd's greeting): a host counts only once it says something, which a frozen host (docker pause, a stopped VM) cannot although its kernel accepts the connection.")
    var probeExpectsGreeting = false

    @Option(help: "A host hangs when the job made no step for this long while the host's ranks send no heartbeat (seconds). (default: 50x the measured step, at least 5 s)")
    var hangSeconds: Double?

    @Option(help: "A hung host is left out of the job until its probe's greeting answers (--probe-expects-greeting), else for this long (seconds).")
    var setAsideSeconds = 60.0

    @Flag(help: "Leave a host out of the job (for the rest of it) when the trainer finds its rank slow and the job would step at least --slow-speedup times faster without it; the job stops at a step boundary and goes on without it.")
    var dropSlowHosts = false

    @Option(help: "How many times faster the job must step without a slow host for --drop-slow-hosts to drop it.")
    var slowSpeedup = 1.2

    @Flag(help: "Probe only hosts that are not in the job yet; hosts in it count while the source lists them (for sources that drop dead hosts at once, such as Docker's DNS).")
    var probeNewHostsOnly = false

    @Option(help: "Fewest hosts to train on; below it, wait --wait-seconds, then stop with one line.")
    var minHosts = 1

    @Option(help: "Hosts to wait for (up to --wait-seconds) before the first launch; after the wait, --min-hosts is enough. (default: --min-hosts)")
    var initialHosts: Int?

    @Option(help: "Most hosts to train on; more answering hosts wait as spares. (default: no limit)")
    var maxHosts: Int?

    @Option(help: "Relaunches before giving up.")
    var maxRestarts = 10

    @Option(help: "How long to wait for --min-hosts hosts, at the start and after a loss (seconds).")
    var waitSeconds = 60.0

    @Option(help: "How often to ask for the hosts and probe them while the job runs (seconds).")
    var pollSeconds = 1.0

    @Option(help: "The launcher, called as PROGRAM HOSTFILE RANKS COMMAND... (e.g. scripts/cluster/mpirun-hosts.sh or scripts/cluster/srun-hosts.sh). (default: mpirun --hostfile HOSTFILE -np RANKS)")
    var launch: String?

    @Argument(parsing: .postTerminator, help: "mnist-mpi train's options, after --.")
    var trainArguments: [String] = []

    func validate() throws {
        let sources = [hosts != nil, hostfile != nil, discover != nil, slurm].filter { $0 }.count
        guard sources <= 1 else { throw ValidationError("give one of --hosts, --hostfile, --discover, --slurm") }
        guard minHosts >= 1 else { throw ValidationError("--min-hosts must be at least 1") }
        if let maxHosts, maxHosts < minHosts { throw ValidationError("--max-hosts must be at least --min-hosts") }
        if let initialHosts, initialHosts < minHosts { throw ValidationError("--initial-hosts must be at least --min-hosts") }
        guard maxRestarts >= 0 else { throw ValidationError("--max-restarts must be 0 or more") }
        guard waitSeconds >= 0, pollSeconds >= 0.05, pollSeconds <= 3600 else {
            throw ValidationError("--wait-seconds must be 0 or more and --poll-seconds 0.05 to 3600")
        }
        if let slots, slots < 1 { throw ValidationError("--slots must be at least 1") }
        if let probePort, !(1...65535).contains(probePort) { throw ValidationError("--probe-port must be 1 to 65535") }
        if probeNewHostsOnly, probePort == nil { throw ValidationError("--probe-new-hosts-only needs --probe-port") }
        if probeExpectsGreeting, probePort == nil { throw ValidationError("--probe-expects-greeting needs --probe-port") }
        if let hangSeconds, !(hangSeconds >= 0.5 && hangSeconds <= 86_400) { throw ValidationError("--hang-seconds must be 0.5 to 86400") }
        guard slowSpeedup >= 1, slowSpeedup <= 100 else { throw ValidationError("--slow-speedup must be 1 to 100") }
        guard setAsideSeconds >= 0, setAsideSeconds <= 86_400 else { throw ValidationError("--set-aside-seconds must be 0 to 86400") }
        guard try trainConfiguration().reliability.checkpointPath != nil else {
            throw ValidationError(ElasticError.noCheckpoint.description)
        }
    }

    /// The train options after --, read by train's own parser (and checked as train checks them).
    func trainConfiguration() throws -> TrainingConfiguration {
        do {
            return try Train.parse(trainArguments).makeConfiguration()
        } catch {
            throw ValidationError("the train options after --: \(Train.message(for: error))")
        }
    }

    func makeSource() throws -> HostSource {
        let environment = ProcessInfo.processInfo.environment
        if let hosts { return .fixed(try HostSlots.parse(hosts, defaultSlots: slots ?? 1, source: "--hosts")) }
        if let hostfile { return .hostfile(hostfile) }
        if let discover { return .command(discover) }
        if slurm || environment["SLURM_JOB_NODELIST"] != nil {
            return .slurm(slots: slots ?? environment["SLURM_NTASKS_PER_NODE"].flatMap { Int($0) } ?? 1)
        }
        return .fixed([HostSlots(host: "localhost", slots: slots ?? ProcessInfo.processInfo.activeProcessorCount)])
    }

    func run() throws {
        let train = try trainConfiguration()
        var settings = ElasticSettings(
            source: try makeSource(), program: Self.ownExecutable, trainArguments: trainArguments,
            train: ElasticSettings.TrainFacts(
                checkpointPath: train.reliability.checkpointPath, fixesGlobalBatch: train.optimization.globalBatch != nil,
                checkpointCopiesOnNodes: train.reliability.checkpointCopies == .everyNode))
        settings.probePort = probePort
        settings.probeNewHostsOnly = probeNewHostsOnly
        settings.probeExpectsGreeting = probeExpectsGreeting
        settings.hangSeconds = hangSeconds
        settings.setAsideSeconds = setAsideSeconds
        settings.dropSlowHosts = dropSlowHosts
        settings.slowSpeedup = slowSpeedup
        settings.minHosts = minHosts
        settings.initialHosts = initialHosts
        settings.maxHosts = maxHosts
        settings.maxRestarts = maxRestarts
        settings.waitSeconds = waitSeconds
        settings.pollSeconds = pollSeconds
        settings.launch = launch
        do {
            let status = try ElasticSupervisor(settings).run()
            if status != 0 { throw ExitCode(status) }
        } catch let error as ElasticError {
            Logger.error("elastic: \(error)")
            throw ExitCode.failure
        }
    }

    /// This binary's path, for launching `train` with the same build.
    static var ownExecutable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return length > 0 ? String(cString: buffer) : CommandLine.arguments[0]
    }
}
