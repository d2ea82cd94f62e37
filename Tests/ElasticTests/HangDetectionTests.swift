import Foundation
import Testing
@testable import Elastic

/// The hung-host verdict from heartbeats (`ProgressBoard`), the datagram's reading, the
/// greeting probe, and the heartbeat channel end to end over loopback.
@Suite struct HangDetectionTests {
    private func beat(_ rank: Int, arrivals: Int, idleMs: Int = 0, finished: Bool = false, host: String = "n") -> Heartbeat {
        Heartbeat("mnist-mpi-heartbeat 1 rank=\(rank) epoch=0 step=\(arrivals) arrivals=\(arrivals) idle_ms=\(idleMs) finished=\(finished ? 1 : 0) host=\(host)")!
    }

    /// Three hosts of one rank each send every 0.2 s while the job steps every 10 ms until
    /// `until`; from `frozenAt` on, host c sends nothing (a paused container) and the others
    /// keep saying where they wait.
    private func board(until: Double, frozenAt: Double?, silentHosts: Set<String> = ["c"]) -> ProgressBoard {
        let hosts = ["a", "b", "c"]
        var board = ProgressBoard(hosts: hosts, addresses: ["a": ["10.0.0.1"], "b": ["10.0.0.2"], "c": ["10.0.0.3"]], now: 0)
        var time = 0.0
        while time <= until {
            let steps = Int((min(time, frozenAt ?? .infinity) / 0.01).rounded(.down))
            for (rank, host) in hosts.enumerated() {
                if let frozenAt, time > frozenAt, silentHosts.contains(host) { continue }
                board.record(beat(rank, arrivals: host == "c" ? steps : steps + (frozenAt != nil && time > frozenAt! ? 1 : 0)),
                             sender: "10.0.0.\(rank + 1)", now: time)
            }
            time += 0.2
        }
        return board
    }

    @Test func aSilentHostIsHungOnceTheJobStallsPastTheBound() throws {
        // 10 ms steps: the bound is the floor, 5 s.
        let running = board(until: 20, frozenAt: nil)
        #expect(running.bound == ProgressBoard.floorSeconds)
        #expect(running.verdict(now: 20) == nil)
        let frozen = board(until: 30, frozenAt: 20)
        #expect(frozen.verdict(now: 24) == nil, "not before the bound")
        let verdict = try #require(frozen.verdict(now: 25.6))
        #expect(verdict.hosts == ["c"])
        #expect(verdict.reason.contains("c sent no heartbeat") && verdict.reason.contains("a, b waited"), "\(verdict.reason)")
    }

    @Test func noVerdictWhenEveryoneIsSilentFinishedOrNotYetMeasured() {
        // Every host silent: the supervisor's own network or the job's end, not a host's hang.
        let allSilent = board(until: 30, frozenAt: 20, silentHosts: ["a", "b", "c"])
        #expect(allSilent.verdict(now: 40) == nil)
        // Ranks that said they finished are never hung.
        var finished = board(until: 20, frozenAt: nil)
        finished.record(beat(2, arrivals: 2000, finished: true), sender: "10.0.0.3", now: 20.1)
        finished.record(beat(0, arrivals: 2000), sender: "10.0.0.1", now: 29)
        finished.record(beat(1, arrivals: 2000), sender: "10.0.0.2", now: 29)
        #expect(finished.verdict(now: 29.5) == nil)
        // Too few steps to know the step time: no bound, no verdict.
        var early = ProgressBoard(hosts: ["a", "b"], addresses: [:], now: 0)
        early.record(beat(0, arrivals: 1), sender: "a", now: 1)
        early.record(beat(1, arrivals: 1), sender: "b", now: 1)
        early.record(beat(0, arrivals: 2), sender: "a", now: 100)
        #expect(early.bound == nil && early.verdict(now: 100) == nil)
    }

    @Test func aLiveRankBehindAndIdleForThreeBoundsIsStuck() throws {
        var board = ProgressBoard(hosts: ["a", "b"], addresses: [:], now: 0, fixedBound: 2)
        for second in 0...4 {
            board.record(beat(0, arrivals: 10 + second, host: "a"), sender: "x", now: Double(second))
            board.record(beat(1, arrivals: 10 + second, host: "b"), sender: "y", now: Double(second))
        }
        // b is stuck on I/O after step 14: it still sends, a waits at 15.
        board.record(beat(0, arrivals: 15, host: "a"), sender: "x", now: 5)
        board.record(beat(1, arrivals: 14, idleMs: 5_000, host: "b"), sender: "y", now: 9)
        board.record(beat(0, arrivals: 15, idleMs: 4_000, host: "a"), sender: "x", now: 9)
        #expect(board.verdict(now: 9) == nil, "idle 5 s is not yet three bounds")
        board.record(beat(1, arrivals: 14, idleMs: 6_500, host: "b"), sender: "y", now: 10.5)
        board.record(beat(0, arrivals: 15, idleMs: 5_500, host: "a"), sender: "x", now: 10.5)
        let verdict = try #require(board.verdict(now: 10.5))
        #expect(verdict.hosts == ["b"] && verdict.reason.contains("made no step"), "\(verdict.reason)")
    }

    @Test func aSlowRankIsNamedWithItsHostWhenTheJobWouldBeFasterWithoutIt() throws {
        var board = ProgressBoard(hosts: ["a", "b", "c"], addresses: [:], now: 0)
        let line = { (rank: Int, slow: Int, milli: Int) in
            Heartbeat("mnist-mpi-heartbeat 1 rank=\(rank) epoch=3 step=10 arrivals=310 idle_ms=0 finished=0 slow_rank=\(slow) speedup_milli=\(milli) host=\(["a", "b", "c"][rank])")!
        }
        board.record(line(1, -1, 0), sender: "x", now: 1)
        board.record(line(2, -1, 0), sender: "y", now: 1)
        #expect(board.slowHost(minimumSpeedup: 1.2) == nil)
        board.record(line(0, 2, 1_500), sender: "z", now: 2)
        let slow = try #require(board.slowHost(minimumSpeedup: 1.2))
        #expect(slow.host == "c" && slow.rank == 2 && abs(slow.speedup - 1.5) < 1e-9)
        #expect(board.slowHost(minimumSpeedup: 1.6) == nil, "not fast enough without it")
        board.record(line(0, -1, 0), sender: "z", now: 3)
        #expect(board.slowHost(minimumSpeedup: 1.2) == nil, "no longer slow")
    }

    @Test func datagramsAreReadOrRefused() {
        let read = Heartbeat("mnist-mpi-heartbeat 1 rank=3 epoch=2 step=17 arrivals=617 idle_ms=12 finished=0 host=node-7")
        #expect(read?.rank == 3 && read?.arrivals == 617 && read?.idleMilliseconds == 12 && read?.hostName == "node-7")
        #expect(read?.finished == false && read?.slowRank == nil)
        let slow = Heartbeat("mnist-mpi-heartbeat 1 rank=0 epoch=0 step=1 arrivals=1 idle_ms=0 finished=1 slow_rank=2 speedup_milli=1750 host=h")
        #expect(slow?.finished == true && slow?.slowRank == 2 && slow?.speedupWithoutSlowRank == 1.75)
        for bad in ["", "mnist-mpi-heartbeat 2 rank=1", "mnist-mpi-heartbeat 1 rank=x epoch=0 step=0 arrivals=0 idle_ms=0 finished=0 host=a",
                    "hello world"] {
            #expect(Heartbeat(bad) == nil, "\(bad)")
        }
    }

    @Test func heartbeatsReachTheListenerOverLoopback() throws {
        let listener = try HeartbeatListener()
        #expect(HeartbeatListener.ownAddress(towards: "127.0.0.1") == "127.0.0.1")
        let sender = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(sender) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(listener.port).bigEndian
        for text in ["mnist-mpi-heartbeat 1 rank=0 epoch=0 step=5 arrivals=5 idle_ms=1 finished=0 host=h", "noise"] {
            _ = text.withCString { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(sender, bytes, strlen(bytes), 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
        var received: [(heartbeat: Heartbeat, sender: String)] = []
        for _ in 0..<100 where received.isEmpty {
            received = listener.receive()
            usleep(10_000)
        }
        #expect(received.count == 1 && received.first?.heartbeat.arrivals == 5 && received.first?.sender == "127.0.0.1")
    }

    @Test func theGreetingProbeTellsASpeakingServiceFromASilentOne() throws {
        let (server, port) = try loopbackListener()
        defer { close(server) }
        // Nobody accepts: the kernel completes the handshake, nothing is said (a frozen sshd).
        #expect(TCPProbe.answers(host: "127.0.0.1", port: port, timeoutSeconds: 0.3))
        #expect(!TCPProbe.answers(host: "127.0.0.1", port: port, timeoutSeconds: 0.3, greeting: true))
        // A thread that accepts and greets, as sshd does: the two probes above (still queued),
        // then the one below.
        let greeter = Thread {
            for _ in 0..<3 {
                let client = accept(server, nil, nil)
                guard client >= 0 else { return }
                _ = "SSH-2.0-test\r\n".withCString { send(client, $0, 14, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
        greeter.start()
        #expect(TCPProbe.answers(host: "127.0.0.1", port: port, timeoutSeconds: 2, greeting: true))
    }
}
