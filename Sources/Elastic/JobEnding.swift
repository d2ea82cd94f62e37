import Foundation
import Training

extension ElasticSupervisor {
    /// Why a launch ended, as the supervisor judges it after the launcher exited: the hosts it
    /// lost (gone, hung or slow), the answering hosts it can add, the last step reached.
    struct JobEnding {
        let lost: [HostSlots]
        let added: [HostSlots]
        /// When the end was noticed, Unix time.
        let endedAt: Double
        /// The last step rank 0 marked (nil: none marked, or not readable here).
        let lastStep: Int?
        /// "host hung", "host slow", "host lost", "host added" or "rank failed".
        let reason: String
        /// The supervisor stopped the job, or the hosts are not those it ran on.
        let hostsChanged: Bool

        init(of hosts: [HostSlots], watch: Watch, supervisor: ElasticSupervisor) {
            endedAt = watch.endedAt ?? Date().timeIntervalSince1970
            lastStep = ProgressMarker.read(checkpoint: supervisor.checkpoint)
            let answering = supervisor.answeringHosts(running: hosts) ?? hosts
            let lost = hosts.filter { host in
                !answering.contains { $0.host == host.host } || watch.hungHosts.contains(host.host)
                    || watch.slowHosts.contains(host.host)
            }
            added = supervisor.addable(answering, to: hosts.filter { host in !lost.contains(host) })
            self.lost = lost
            hostsChanged = watch.stopAsked || !lost.isEmpty || !added.isEmpty
            reason = !watch.hungHosts.isEmpty ? "host hung"
                : !watch.slowHosts.isEmpty ? "host slow"
                : !lost.isEmpty ? "host lost"
                : !added.isEmpty ? "host added" : "rank failed"
        }
    }
}
