import CStopSignal
import Foundation
import RunOutput
import Training

/// `mnist-mpi elastic`: launches the training job on the hosts that answer and owns its life.
///
/// - a host that stops answering (or a rank that dies: the launcher ends the job) -> the job
///   is ended, and relaunched on the hosts that still answer from the newest checkpoint, once
///   at least `minHosts` answer (waiting at most `waitSeconds`);
/// - a new host -> the job is asked to stop at a step boundary (SIGTERM: every rank stops after
///   the same step and writes a checkpoint) and relaunched with it;
/// - every relaunch is recorded in `<checkpoint>.restarts.json`, which the trainer copies into
///   its summary, log, TensorBoard and timeline; failures that repeat end it (`RestartPolicy`).
public final class ElasticSupervisor {
    let settings: ElasticSettings
    let logger = Logger(isPrinting: true)
    let checkpoint: String
    /// Beside the checkpoint: the hostfile of the current launch and the restart history.
    let hostfilePath: String
    let restartsPath: String
    /// Hosts found hung, and when: left out until they answer again (`answeringHosts`).
    var setAside: [String: Date] = [:]
    /// Hosts dropped as slow (`dropSlowHosts`): out for the rest of the job.
    var droppedSlow: Set<String> = []
    /// How long each host set aside as hung stays out before it is tried again (without a
    /// greeting to tell): `setAsideSeconds`, doubled each time it turns out still hung.
    var setAsideFor: [String: Double] = [:]
    /// Hosts tried again after their time set aside, not yet heard from in a launch: when a launch
    /// with them sends no heartbeat within `startupSeconds` (every rank waits in `MPI_Init` for a
    /// host that is still frozen), they are set aside again for twice as long.
    var probation: Set<String> = []
    static let startupSeconds = 60.0

    public init(_ settings: ElasticSettings) throws {
        guard let checkpoint = settings.train.checkpointPath else { throw ElasticError.noCheckpoint }
        self.settings = settings
        self.checkpoint = checkpoint
        hostfilePath = checkpoint + ".hosts"
        restartsPath = checkpoint + ".restarts.json"
    }

    /// Runs the job to its end.
    ///
    /// - Returns: 0 when training finished.
    /// - Throws: `ElasticError` naming why it stopped (the job's own error is above it).
    public func run() throws -> Int32 {
        stop_signal_install()
        var hosts = try waitForHosts(keeping: [], wanted: settings.initialHosts ?? settings.minHosts)
        var records: [RestartRecord] = []
        try writeRestarts(records)
        if !settings.train.fixesGlobalBatch {
            logger.info("elastic: note: without --global-batch the global batch follows the rank count; pass --global-batch G to keep the trajectory when hosts change")
        }
        var policy = RestartPolicy(maxRestarts: settings.maxRestarts)
        var arguments = settings.trainArguments
        // The step the current launch started from (-1: unknown, copies on the nodes' disks).
        var startedStep = settings.train.checkpointCopiesOnNodes ? -1 : 0
        while true {
            let (status, watch) = try launchAndWatch(hosts, arguments: arguments)
            if let final = finalStatus(status, watch: watch, restarts: records.count) { return final }
            let ending = JobEnding(of: hosts, watch: watch, supervisor: self)
            try policy.check(
                status: status, hostsChanged: ending.hostsChanged,
                reachedStep: ending.lastStep ?? (records.isEmpty && !settings.train.checkpointCopiesOnNodes ? nil : startedStep),
                restartsDone: records.count)
            if policy.backoffSeconds > 0 {
                logger.info("elastic: the job failed again at the same step: waiting \(Int(policy.backoffSeconds)) s")
                usleep(UInt32(policy.backoffSeconds * 1_000_000))
            }
            logger.info("elastic: the job ended (exit \(status), \(ending.reason)\(ending.lost.isEmpty ? "" : ": " + ending.lost.map(\.host).joined(separator: ", "))); relaunching")
            let before = hosts
            hosts = try waitForHosts(keeping: before.filter { !ending.lost.contains($0) }, wanted: settings.minHosts)
            startedStep = checkpointStep() ?? (settings.train.checkpointCopiesOnNodes ? -1 : 0)
            records = try recordRestart(
                after: records, ending: ending, before: before, hosts: hosts, resumedStep: startedStep >= 0 ? startedStep : nil)
            arguments = settings.relaunchArguments
        }
    }

    /// One launch on `hosts`, watched to its end: its exit status (1 when it has none) and
    /// what the watch saw.
    private func launchAndWatch(_ hosts: [HostSlots], arguments: [String]) throws -> (Int32, Watch) {
        unlink(ProgressMarker.path(forCheckpoint: checkpoint))
        let listener = try HeartbeatListener()
        let heartbeat = heartbeatArguments(hosts, listener)
        let job = try launch(hosts, arguments: arguments + ["--restarts-file", restartsPath] + heartbeat)
        let watch = watchJob(job, hosts: hosts, heartbeats: heartbeat.isEmpty ? nil : listener)
        return (job.exitStatus ?? 1, watch)
    }

    /// The supervisor's own exit status when the launch ends the job (finished, or stopped
    /// by a signal the user sent); nil when it is to be relaunched.
    private func finalStatus(_ status: Int32, watch: Watch, restarts: Int) -> Int32? {
        if status == 0 {
            logger.info("elastic: training finished after \(restarts) restart\(restarts == 1 ? "" : "s")")
            return 0
        }
        if let signal = watch.userSignal {
            // Asked for (Ctrl-C, docker stop, scancel): the job's own line said where it stopped.
            logger.info("elastic: stopped by signal \(signal) (exit \(status)); no relaunch")
            return status
        }
        return nil
    }

    /// The optimizer steps of the checkpoint the next launch resumes from; nil where it cannot
    /// be read here (copies on the nodes' own disks: the trainer's log says where it resumed).
    private func checkpointStep() -> Int? {
        guard FileManager.default.fileExists(atPath: checkpoint) else { return nil }
        return try? CheckpointFile.read(path: checkpoint).header.optimizerSteps
    }

    /// The restart history with this relaunch added, written and logged.
    private func recordRestart(
        after records: [RestartRecord], ending: JobEnding, before: [HostSlots], hosts: [HostSlots], resumedStep: Int?
    ) throws -> [RestartRecord] {
        let record = RestartRecord(
            restart: records.count + 1, reason: ending.reason, lostHosts: ending.lost.map(\.host),
            addedHosts: hosts.filter { host in !before.contains { $0.host == host.host } }.map(\.host),
            hosts: hosts.map(\.host), ranksBefore: before.reduce(0) { $0 + $1.slots },
            ranksAfter: hosts.reduce(0) { $0 + $1.slots }, lastStep: ending.lastStep,
            resumedStep: resumedStep, endedAt: ending.endedAt, relaunchedAt: Date().timeIntervalSince1970)
        // The trainer may have added its first-step time to the earlier records.
        let updated = ((try? RestartHistory.read(path: restartsPath)) ?? records) + [record]
        try writeRestarts(updated)
        logger.info("elastic: \(record.description)")
        return updated
    }

    /// The hosts in `answering` that are not in `hosts` and fit under `maxHosts`.
    func addable(_ answering: [HostSlots], to hosts: [HostSlots]) -> [HostSlots] {
        let room = (settings.maxHosts ?? Int.max) - hosts.count
        guard room > 0 else { return [] }
        return Array(answering.filter { host in !hosts.contains { $0.host == host.host } }.prefix(room))
    }

    /// The source's hosts that answer the probe now (with `probeNewHostsOnly`, hosts in
    /// `running` count while listed); nil (and a warning) when the source cannot be read.
    /// A host set aside as hung counts again once its probe's greeting answers (with
    /// `probeExpectsGreeting`), else after `setAsideSeconds`.
    func answeringHosts(running: [HostSlots] = []) -> [HostSlots]? {
        do {
            let listed = try settings.source.hosts().filter { host in
                guard !droppedSlow.contains(host.host) else { return false }
                guard let since = setAside[host.host] else { return true }
                let greets = settings.probeExpectsGreeting && settings.probePort != nil
                let back = greets
                    ? settings.probePort.map { TCPProbe.answers(host: host.host, port: $0, greeting: true) } ?? false
                    : Date().timeIntervalSince(since) >= setAsideFor[host.host, default: settings.setAsideSeconds]
                if back {
                    setAside[host.host] = nil
                    if greets {
                        logger.info("elastic: \(host.host), set aside as hung, answers again")
                    } else {
                        probation.insert(host.host)
                        logger.info("elastic: \(host.host), set aside as hung, is tried again after \(Int(setAsideFor[host.host, default: settings.setAsideSeconds])) s")
                    }
                }
                return back
            }
            guard let port = settings.probePort else { return listed }
            return listed.filter { host in
                (settings.probeNewHostsOnly && running.contains { $0.host == host.host })
                    || TCPProbe.answers(host: host.host, port: port, greeting: settings.probeExpectsGreeting)
            }
        } catch {
            logger.info("elastic: warning: \(error)")
            return nil
        }
    }

    /// At least `wanted` answering hosts, `kept` first (in their order, so rank 0 stays where
    /// it was), at most `maxHosts`; waits up to `waitSeconds`, then takes what answers if that
    /// is at least `minHosts`.
    private func waitForHosts(keeping kept: [HostSlots], wanted: Int) throws -> [HostSlots] {
        let started = Date()
        var said = false
        while true {
            let answering = answeringHosts() ?? []
            let survivors = kept.filter { host in answering.contains { $0.host == host.host } }
            let chosen = Array((survivors + answering.filter { host in !survivors.contains { $0.host == host.host } })
                .prefix(settings.maxHosts ?? Int.max))
            if chosen.count >= max(wanted, settings.minHosts) { return chosen }
            let waited = Date().timeIntervalSince(started)
            if waited >= settings.waitSeconds || stop_signal_received() != 0 {
                if chosen.count >= settings.minHosts, stop_signal_received() == 0 { return chosen }
                throw ElasticError.tooFewHosts(found: chosen.map(\.host), minimum: settings.minHosts, waited: waited)
            }
            if !said {
                logger.info("elastic: \(chosen.count) of \(max(wanted, settings.minHosts)) hosts answer; waiting up to \(Int(settings.waitSeconds)) s")
                said = true
            }
            usleep(UInt32(min(settings.pollSeconds, 1) * 1_000_000))
        }
    }

    /// `--heartbeat ADDRESS:PORT` for the ranks on `hosts`: this machine's address as the first
    /// host sees it, the listener's port (none, and a warning, when no route is found).
    private func heartbeatArguments(_ hosts: [HostSlots], _ listener: HeartbeatListener) -> [String] {
        guard let first = hosts.first, let address = HeartbeatListener.ownAddress(towards: first.host) else {
            logger.info("elastic: warning: no route to \(hosts.first?.host ?? "the hosts") for heartbeats: a hung host is found only by --stall-timeout")
            return []
        }
        return ["--heartbeat", "\(address):\(listener.port)"]
    }

    /// Writes the hostfile and starts the launcher on `hosts`.
    private func launch(_ hosts: [HostSlots], arguments: [String]) throws -> LaunchedJob {
        do {
            try HostSlots.hostfile(hosts).write(toFile: hostfilePath, atomically: true, encoding: .utf8)
        } catch {
            throw ElasticError.cannotWrite(path: hostfilePath, reason: "\(error)")
        }
        let ranks = hosts.reduce(0) { $0 + $1.slots }
        let command = [settings.program, "train"] + arguments
        let launcher = settings.launch.map { [$0, hostfilePath, String(ranks)] }
            ?? ["mpirun", "--hostfile", hostfilePath, "-np", String(ranks)]
        logger.info("elastic: launching \(ranks) rank\(ranks == 1 ? "" : "s") on \(hosts.map(\.description).joined(separator: " "))")
        return try LaunchedJob(launcher + command)
    }

    private func writeRestarts(_ records: [RestartRecord]) throws {
        do {
            try RestartHistory.write(records, to: restartsPath)
        } catch {
            throw ElasticError.cannotWrite(path: restartsPath, reason: "\(error)")
        }
    }
}
