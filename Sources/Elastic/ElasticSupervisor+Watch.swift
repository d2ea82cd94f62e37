import CStopSignal
import Foundation

extension ElasticSupervisor {
    /// What happened while a launch ran.
    struct Watch {
        /// The supervisor asked the job to stop (a host was added).
        var stopAsked = false
        /// When the supervisor noticed the end (a host lost, a stop asked), Unix time.
        var endedAt: Double? = nil
        /// A signal that asked the supervisor itself to stop.
        var userSignal: Int32? = nil
        /// Hosts found hung (the job was ended for them).
        var hungHosts: [String] = []
        /// Hosts dropped as slow (the job was stopped at a step boundary without them).
        var slowHosts: [String] = []
    }

    /// Polls the job, its heartbeats and the hosts until the job ends.
    /// - Parameter heartbeats: the launch's heartbeat socket (nil: the ranks send none).
    func watchJob(_ job: LaunchedJob, hosts: [HostSlots], heartbeats: HeartbeatListener?) -> Watch {
        var watch = Watch()
        var board = ProgressBoard(
            hosts: hosts.map(\.host),
            addresses: Dictionary(hosts.map { ($0.host, HeartbeatListener.addresses(of: $0.host)) }, uniquingKeysWith: { first, _ in first }),
            now: Date().timeIntervalSince1970, fixedBound: settings.hangSeconds)
        var nextPoll = Date().addingTimeInterval(settings.pollSeconds)
        var killAt: Date? = nil
        let launchedAt = Date()
        while !job.hasEnded() {
            usleep(50_000)
            if let signalled = passUserSignal(to: job, watch: &watch) { killAt = signalled }
            if let killAt, Date() > killAt {
                job.killGroup()
            }
            let now = Date().timeIntervalSince1970
            for (heartbeat, sender) in heartbeats?.receive() ?? [] { board.record(heartbeat, sender: sender, now: now) }
            if !board.ranks.isEmpty { probation.removeAll() }
            guard killAt == nil else { continue }
            if let hung = hungHosts(board, hosts: hosts, launchedAt: launchedAt, hearsHeartbeats: heartbeats != nil, now: now) {
                end(job, forHung: hung, at: now, watch: &watch)
                killAt = Date().addingTimeInterval(settings.lostGraceSeconds)
                continue
            }
            guard Date() >= nextPoll else { continue }
            nextPoll = Date().addingTimeInterval(settings.pollSeconds)
            killAt = pollHosts(job, hosts: hosts, board: board, watch: &watch)
        }
        return watch
    }

    /// A signal sent to the supervisor itself, passed on to the job once (no relaunch after
    /// it): the time after which the job's group is killed, or nil when no new signal came.
    private func passUserSignal(to job: LaunchedJob, watch: inout Watch) -> Date? {
        let signal = stop_signal_received()
        guard signal != 0, watch.userSignal == nil else { return nil }
        logger.info("elastic: got signal \(signal): passing it to the job, no relaunch")
        watch.userSignal = signal
        job.signalLauncher(signal)
        return Date().addingTimeInterval(settings.stopGraceSeconds)
    }

    /// The hosts the job is to be ended for as hung: hosts on probation that never spoke, or
    /// the progress board's verdict (logged); nil when none is hung.
    private func hungHosts(
        _ board: ProgressBoard, hosts: [HostSlots], launchedAt: Date, hearsHeartbeats: Bool, now: Double
    ) -> [String]? {
        if hearsHeartbeats, let suspects = stillHungOnProbation(hosts, launchedAt: launchedAt) { return suspects }
        guard let verdict = board.verdict(now: now) else { return nil }
        logger.info("elastic: \(verdict.hosts.joined(separator: ", ")) hung: \(verdict.reason); ending the job")
        return verdict.hosts
    }

    /// The periodic look at the hosts: a slow one dropped (`dropSlowHosts`), a lost one, or new
    /// ones that answer each end the job (at a step boundary where it can save its progress).
    ///
    /// - Returns: the time after which the job's group is killed, or nil when nothing changed.
    private func pollHosts(_ job: LaunchedJob, hosts: [HostSlots], board: ProgressBoard, watch: inout Watch) -> Date? {
        if settings.dropSlowHosts, hosts.count - 1 >= settings.minHosts,
           let slow = board.slowHost(minimumSpeedup: settings.slowSpeedup) {
            watch.endedAt = Date().timeIntervalSince1970
            watch.stopAsked = true
            watch.slowHosts = [slow.host]
            droppedSlow.insert(slow.host)
            logger.info(String(
                format: "elastic: %@ is slow (rank %d: the job would step %.2fx faster without it): asking the job to stop at a step boundary to leave it out",
                slow.host, slow.rank, slow.speedup))
            job.signalLauncher(SIGTERM)
            return Date().addingTimeInterval(settings.stopGraceSeconds)
        }
        guard let answering = answeringHosts(running: hosts) else { return nil }
        let lost = hosts.filter { host in !answering.contains { $0.host == host.host } }
        if !lost.isEmpty {
            watch.endedAt = Date().timeIntervalSince1970
            logger.info("elastic: \(lost.map(\.host).joined(separator: ", ")) no longer answer\(lost.count == 1 ? "s" : ""): ending the job")
            // Nothing can be saved without the lost host (no step can finish): end the
            // launcher and its ranks at once (mpirun tearing down after a lost daemon
            // may crash with a stack trace of its own).
            job.killGroup()
            return Date().addingTimeInterval(settings.lostGraceSeconds)
        }
        let added = addable(answering, to: hosts)
        guard !added.isEmpty else { return nil }
        watch.endedAt = Date().timeIntervalSince1970
        watch.stopAsked = true
        logger.info("elastic: \(added.map(\.host).joined(separator: ", ")) answer\(added.count == 1 ? "s" : ""): asking the job to stop at a step boundary")
        job.signalLauncher(SIGTERM)
        return Date().addingTimeInterval(settings.stopGraceSeconds)
    }

    /// The hosts of this launch tried again after their time set aside (no greeting to tell)
    /// when no rank has spoken within `startupSeconds` of the launch: every rank waits in
    /// `MPI_Init` for one that is still frozen. They are set aside again for twice as long (and
    /// said so); nil when there are none, or the launch is younger.
    private func stillHungOnProbation(_ hosts: [HostSlots], launchedAt: Date) -> [String]? {
        let suspects = hosts.map(\.host).filter { probation.contains($0) }
        guard !suspects.isEmpty, Date().timeIntervalSince(launchedAt) > Self.startupSeconds else { return nil }
        for host in suspects { setAsideFor[host] = 2 * setAsideFor[host, default: settings.setAsideSeconds] }
        logger.info("elastic: no rank sent a heartbeat within \(Int(Self.startupSeconds)) s of the launch: \(suspects.joined(separator: ", ")), tried again after being set aside as hung, still hangs; set aside for \(Int(setAsideFor[suspects[0], default: 0])) s; ending the job")
        return suspects
    }

    /// Ends the launch for hung `hosts`: they are set aside, and the launcher's group is killed
    /// at once (a hung host's daemon cannot answer a stop).
    private func end(_ job: LaunchedJob, forHung hosts: [String], at now: Double, watch: inout Watch) {
        watch.endedAt = now
        watch.hungHosts = hosts
        for host in hosts {
            setAside[host] = Date()
            probation.remove(host)
        }
        job.killGroup()
    }
}
