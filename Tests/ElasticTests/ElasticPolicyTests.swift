import Foundation
import Testing
@testable import Elastic
import Training

/// The supervisor's pure parts: host lists, the restart decision, the relaunch arguments,
/// the restart history file.
@Suite struct ElasticPolicyTests {
    @Test func hostListsInEveryForm() throws {
        let hosts = try HostSlots.parse(
            "node1:2\nnode2 slots=4 max_slots=8  # a comment\n10.213.61.3\n# only a comment\nnode1:7\n", source: "test")
        #expect(hosts == [
            HostSlots(host: "node1", slots: 2), HostSlots(host: "node2", slots: 4), HostSlots(host: "10.213.61.3", slots: 1),
        ])
        #expect(try HostSlots.parse("a:1,b:3", source: "test").map(\.description) == ["a:1", "b:3"])
        #expect(try HostSlots.parse("c", defaultSlots: 2, source: "test") == [HostSlots(host: "c", slots: 2)])
        #expect(HostSlots.hostfile(hosts) == "node1 slots=2\nnode2 slots=4\n10.213.61.3 slots=1\n")
        for bad in ["a:0", "a:x", "a b", "a slots=", "a;rm -rf"] {
            #expect(throws: ElasticError.self, "\(bad)") { try HostSlots.parse(bad, source: "test") }
        }
    }

    @Test func discoveryCommandOutputAndFailures() throws {
        #expect(try HostSource.command("printf 'h1:2\\nh2:2\\n'").hosts().map(\.host) == ["h1", "h2"])
        #expect(throws: ElasticError.discoveryFailed(command: "exit 3", reason: "exit 3")) {
            try HostSource.command("exit 3").hosts()
        }
    }

    @Test func aProbeTellsAnsweringFromDeadPorts() throws {
        let (listener, port) = try loopbackListener()
        #expect(TCPProbe.answers(host: "127.0.0.1", port: port))
        close(listener)
        #expect(!TCPProbe.answers(host: "127.0.0.1", port: port))
        #expect(!TCPProbe.answers(host: "no-such-host.invalid", port: 22))
    }

    @Test func failuresThatRepeatAreNotRestarted() throws {
        var policy = RestartPolicy(maxRestarts: 5)
        // A first launch that ended before any step with every host answering: bad options.
        #expect(throws: ElasticError.failedBeforeTraining(status: 1)) {
            try policy.check(status: 1, hostsChanged: false, reachedStep: nil, restartsDone: 0)
        }
        // A rank killed at step 120, then again later: relaunched at once; at one step again
        // and again: relaunched after 2 s, then not (the default: 2 tries at one step).
        try policy.check(status: 137, hostsChanged: false, reachedStep: 120, restartsDone: 0)
        try policy.check(status: 137, hostsChanged: false, reachedStep: 300, restartsDone: 1)
        #expect(policy.backoffSeconds == 0)
        try policy.check(status: 1, hostsChanged: false, reachedStep: 300, restartsDone: 2)
        #expect(policy.backoffSeconds == 2)
        #expect(throws: ElasticError.repeatedFailure(step: 300, times: 3, status: 1)) {
            try policy.check(status: 1, hostsChanged: false, reachedStep: 300, restartsDone: 3)
        }
        // A lost host is always worth a relaunch, and resets the repeat rule; the cap holds.
        var lost = RestartPolicy(maxRestarts: 2)
        try lost.check(status: 1, hostsChanged: true, reachedStep: nil, restartsDone: 0)
        try lost.check(status: 1, hostsChanged: true, reachedStep: nil, restartsDone: 1)
        #expect(throws: ElasticError.tooManyRestarts(2)) {
            try lost.check(status: 1, hostsChanged: true, reachedStep: 10, restartsDone: 2)
        }
    }

    @Test func relaunchesResumeWhateverTheFirstLaunchSaid() {
        let facts = ElasticSettings.TrainFacts(checkpointPath: "run.ckpt", fixesGlobalBatch: true, checkpointCopiesOnNodes: false)
        let settings = ElasticSettings(
            source: .fixed([]), program: "mnist-mpi",
            trainArguments: ["--checkpoint", "run.ckpt", "--overwrite-checkpoint", "--global-batch", "600"], train: facts)
        #expect(settings.relaunchArguments == ["--checkpoint", "run.ckpt", "--global-batch", "600", "--auto-resume"])
        let other = ElasticSettings(source: .fixed([]), program: "p", trainArguments: ["--checkpoint=x", "--resume"], train: facts)
        #expect(other.relaunchArguments == ["--checkpoint=x", "--auto-resume"])
    }

    @Test func restartHistoryRoundTripsAndCountsRedoneSteps() throws {
        let path = NSTemporaryDirectory() + "restarts-\(getpid()).json"
        defer { unlink(path) }
        #expect(try RestartHistory.read(path: path).isEmpty)
        var record = RestartRecord(
            restart: 1, reason: "host lost", lostHosts: ["w3"], addedHosts: [], hosts: ["w1", "w2"], ranksBefore: 3,
            ranksAfter: 2, lastStep: 130, resumedStep: 120, endedAt: 1000, relaunchedAt: 1001.5)
        #expect(record.stepsRedone == 10 && record.recoverySeconds == nil)
        record.firstStepAt = 1004.25
        try RestartHistory.write([record], to: path)
        let read = try RestartHistory.read(path: path)
        #expect(read == [record])
        #expect(read[0].recoverySeconds == 4.25)
        #expect(read[0].description.contains("host lost: w3") && read[0].description.contains("10 redone"))
        // Copies on the nodes' own disks: where the relaunch resumed is the trainer's to say.
        let unseen = RestartRecord(
            restart: 2, reason: "host lost", lostHosts: ["w1"], addedHosts: [], hosts: ["w2"], ranksBefore: 2,
            ranksAfter: 1, lastStep: nil, resumedStep: nil, endedAt: 1, relaunchedAt: 2)
        #expect(unseen.stepsRedone == nil && unseen.description.contains("from the newest copy on the nodes"))
    }
}
