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
            addresses: Dictionary(uniqueKeysWithValues: hosts.map { ($0.host, HeartbeatListener.addresses(of: $0.host)) }),
            now: Date().timeIntervalSince1970, fixedBound: settings.hangSeconds)
        var nextPoll = Date().addingTimeInterval(settings.pollSeconds)
        var killAt: Date? = nil
        let launchedAt = Date()
        while !job.hasEnded() {
            usleep(50_000)
            let signal = stop_signal_received()
            if signal != 0, watch.userSignal == nil {
                logger.info("elastic: got signal \(signal): passing it to the job, no relaunch")
                watch.userSignal = signal
                job.signalLauncher(signal)
                killAt = Date().addingTimeInterval(settings.stopGraceSeconds)
            }
            if let killAt, Date() > killAt {
                job.killGroup()
            }
            let now = Date().timeIntervalSince1970
            for (heartbeat, sender) in heartbeats?.receive() ?? [] { board.record(heartbeat, sender: sender, now: now) }
            if !board.ranks.isEmpty { probation.removeAll() }
            let suspects = heartbeats == nil ? [] : hosts.map(\.host).filter { probation.contains($0) }
            if killAt == nil, !suspects.isEmpty, Date().timeIntervalSince(launchedAt) > Self.startupSeconds {
                watch.endedAt = now
                watch.hungHosts = suspects
                for host in suspects {
                    setAside[host] = Date()
                    setAsideFor[host] = 2 * setAsideFor[host, default: settings.setAsideSeconds]
                    probation.remove(host)
                }
                logger.info("elastic: no rank sent a heartbeat within \(Int(Self.startupSeconds)) s of the launch: \(suspects.joined(separator: ", ")), tried again after being set aside as hung, still hangs; set aside for \(Int(setAsideFor[suspects[0], default: 0])) s; ending the job")
                job.killGroup()
                killAt = Date().addingTimeInterval(settings.lostGraceSeconds)
                continue
            }
            if killAt == nil, let verdict = board.verdict(now: now) {
                watch.endedAt = now
                watch.hungHosts = verdict.hosts
                for host in verdict.hosts {
                    setAside[host] = Date()
                    probation.remove(host)
                }
                logger.info("elastic: \(verdict.hosts.joined(separator: ", ")) hung: \(verdict.reason); ending the job")
                // The hung host's daemon cannot answer a stop: end the launcher's group at once.
                job.killGroup()
                killAt = Date().addingTimeInterval(settings.lostGraceSeconds)
                continue
            }
            guard killAt == nil, Date() >= nextPoll else { continue }
            nextPoll = Date().addingTimeInterval(settings.pollSeconds)
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
                killAt = Date().addingTimeInterval(settings.stopGraceSeconds)
                continue
            }
            guard let answering = answeringHosts(running: hosts) else { continue }
            let lost = hosts.filter { host in !answering.contains { $0.host == host.host } }
            if !lost.isEmpty {
                watch.endedAt = Date().timeIntervalSince1970
                logger.info("elastic: \(lost.map(\.host).joined(separator: ", ")) no longer answer\(lost.count == 1 ? "s" : ""): ending the job")
                // Nothing can be saved without the lost host (no step can finish): end the
                // launcher and its ranks at once (mpirun tearing down after a lost daemon
                // may crash with a stack trace of its own).
                job.killGroup()
                killAt = Date().addingTimeInterval(settings.lostGraceSeconds)
                continue
            }
            let added = addable(answering, to: hosts)
            if !added.isEmpty {
                watch.endedAt = Date().timeIntervalSince1970
                watch.stopAsked = true
                logger.info("elastic: \(added.map(\.host).joined(separator: ", ")) answer\(added.count == 1 ? "s" : ""): asking the job to stop at a step boundary")
                job.signalLauncher(SIGTERM)
                killAt = Date().addingTimeInterval(settings.stopGraceSeconds)
            }
        }
        return watch
    }

}
