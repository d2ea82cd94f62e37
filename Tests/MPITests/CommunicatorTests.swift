import Foundation
import Testing
@testable import SwiftMPI

/// The MPI layer in a singleton world (this test process, size 1). MPI calls are serialized:
/// MPI is initialised at the FUNNELED thread level.
@Suite(.serialized) struct CommunicatorTests {
    let world: Communicator

    init() throws {
        try MPIRuntime.initialize()
        world = try Communicator.world()
    }

    @Test func singletonWorldHasOneRank() throws {
        #expect(world.rank == 0)
        #expect(world.size == 1)
        #expect(world.isRoot)
        #expect(try MPIRuntime.isInitialized)
    }

    @Test func initializeTwiceIsHarmless() throws {
        try MPIRuntime.initialize()
        #expect(try Communicator.world().size == 1)
    }

    // Reductions on one rank would pass as no-ops: their exactness is checked on 2 and 3 ranks
    // by `mnist-mpi selftest` (TrainingTests.collectivesAreExactOnEveryRank), which covers sum,
    // average, max, min, broadcast, nonblocking, bfloat16, the raw C loop and shared memory.

    @Test func broadcastAndBarrier() throws {
        var values: [Int32] = [4, 5, 6]
        try world.broadcast(&values, root: 0)
        #expect(values == [4, 5, 6])
        try world.barrier()
    }

    @Test func nonblockingAverageIsRefusedNamingTheCall() throws {
        var values = [Float](repeating: 2, count: 1000)
        let averageError = values.withUnsafeMutableBufferPointer { buffer in
            #expect(throws: MPIError.self) { try world.startAllReduce(buffer, .average) }
        }
        #expect(averageError?.call == "MPI_Iallreduce")
    }

    @Test func failingCallBecomesAnErrorNamingTheCall() throws {
        // Root 5 does not exist in a world of one: MPI returns an error code (MPI_ERRORS_RETURN),
        // which the layer turns into an MPIError with MPI's own text.
        var values: [Float] = [1]
        let error = try #require(throws: MPIError.self) { try world.broadcast(&values, root: 5) }
        #expect(error.call == "MPI_Bcast")
        #expect(error.code != 0)
        #expect(error.errorClass == .root, "\(error.errorClass)")
        #expect(!error.message.isEmpty)
        #expect(error.description.contains("MPI_Bcast"))
    }

    @Test func countsPastMPIsIntAreErrorsNotTraps() throws {
        #expect(try mpiCount(Int(Int32.max), call: "MPI_Allreduce") == Int32.max)
        #expect(try mpiCount(0, call: "MPI_Allreduce") == 0)
        let tooLarge = try #require(throws: MPIError.self) { try mpiCount(Int(Int32.max) + 1, call: "MPI_Allreduce") }
        #expect(tooLarge.call == "MPI_Allreduce" && tooLarge.message.contains("2147483648"))
        #expect(throws: MPIError.self) { try mpiCount(-1, call: "MPI_Bcast") }
        #expect(tooLarge.errorClass == .usage)
        // A negative root reaches MPI as an error named by its call, not a trap.
        var values: [Float] = [1]
        let negativeRoot = try #require(throws: MPIError.self) { try world.broadcast(&values, root: -3) }
        #expect(negativeRoot.call == "MPI_Bcast")
    }

    @Test func agreementOnOneRankPassesValuesAndReportsItsOwnFailure() throws {
        #expect(try world.agreeingOnFailure { 42 } == 42)
        struct Broken: Error {}
        let failure = try #require(throws: CollectiveFailure.self) {
            try world.agreeingOnFailure { () throws -> Int in throw Broken() }
        }
        guard case .reportedHere(let error) = failure else {
            Issue.record("rank 0 alone must report its own failure, got \(failure)")
            return
        }
        #expect(error is Broken)
    }

    /// Beats keep a short watchdog quiet, `stop()` silences it for good (were either broken,
    /// it would end this process through MPI_Abort after 0.5 s), `close()` frees its window
    /// and communicator (twice is harmless), and the board can be opened again afterwards.
    @Test func stallWatchdogBeatsStopAndCloseOnASingleton() throws {
        let watchdog = try StallWatchdog(seconds: 0.5, communicator: world)
        for step in 0..<10 {
            StallWatchdog.beat(epoch: 0, step: step)
            Thread.sleep(forTimeInterval: 0.1)
        }
        StallWatchdog.arrive()
        watchdog.stop()
        Thread.sleep(forTimeInterval: 1.0)
        try watchdog.close()
        try watchdog.close()  // a second close does nothing
        var values: [Int32] = [3]
        try world.allReduce(&values, .sum)
        #expect(values == [3])
        let again = try StallWatchdog(seconds: 60, communicator: world)
        try again.close()
    }
}

/// bfloat16 gradient compression: the codec (its MPI sum is in CommunicatorTests, the one
/// suite that calls MPI).
@Suite struct BFloat16Tests {
    @Test func roundTripKeepsEightBitsOfMantissa() {
        let values: [Float] = [1, -2.5, 3.14159265, 1e-20, 6.5e4, -1e30, 0.1, 0]
        var bits = [UInt16](repeating: 0, count: values.count)
        var back = [Float](repeating: .nan, count: values.count)
        HalfFloat.bfloat16.encode(values, into: &bits, count: values.count)
        HalfFloat.bfloat16.decode(bits, into: &back, count: values.count)
        for (value, decoded) in zip(values, back) {
            #expect(abs(decoded - value) <= abs(value) * 0x1p-8, "\(value) -> \(decoded)")
        }
        #expect(back[0] == 1 && back[1] == -2.5 && back[7] == 0)  // exactly representable
        var nan: UInt16 = 0
        var decodedNaN: Float = 0
        HalfFloat.bfloat16.encode([Float.nan], into: &nan, count: 1)
        HalfFloat.bfloat16.decode([nan], into: &decodedNaN, count: 1)
        #expect(decodedNaN.isNaN)
    }
}
