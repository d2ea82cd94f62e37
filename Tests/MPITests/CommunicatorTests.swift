import Testing
@testable import MPI

/// The MPI layer in a singleton world (this test process, size 1). MPI calls are serialized:
/// MPI is initialised at the FUNNELED thread level.
@Suite(.serialized) struct CommunicatorTests {
    let world: Communicator

    init() throws {
        try MPIRuntime.initialize()
        world = try Communicator.world()
    }

    @Test func singletonWorldHasOneRank() {
        #expect(world.rank == 0)
        #expect(world.size == 1)
        #expect(world.isRoot)
        #expect(MPIRuntime.isInitialized)
    }

    @Test func initializeTwiceIsHarmless() throws {
        try MPIRuntime.initialize()
        #expect(try Communicator.world().size == 1)
    }

    @Test(arguments: [ReductionOperation.sum, .average, .max, .min])
    func allReduceOnOneRankKeepsValues(operation: ReductionOperation) throws {
        var values: [Float] = [1.5, -2, 3e7, 0]
        try world.allReduce(&values, operation)
        #expect(values == [1.5, -2, 3e7, 0])
        var doubles: [Double] = [1, 2]
        try world.allReduce(&doubles, operation)
        #expect(doubles == [1, 2])
    }

    @Test func broadcastAndBarrier() throws {
        var values: [Int32] = [4, 5, 6]
        try world.broadcast(&values, root: 0)
        #expect(values == [4, 5, 6])
        try world.barrier()
    }

    @Test func nonblockingAllReduceCompletes() throws {
        var values = [Float](repeating: 2, count: 1000)
        try values.withUnsafeMutableBufferPointer { buffer in
            var request = try world.startAllReduce(buffer, .sum)
            try request.wait()
        }
        #expect(values.allSatisfy { $0 == 2 })
        try values.withUnsafeMutableBufferPointer { buffer in
            #expect(throws: MPIError.self) { try world.startAllReduce(buffer, .average) }
        }
    }

    @Test func failingCallBecomesAnErrorNamingTheCall() throws {
        // Root 5 does not exist in a world of one: MPI returns an error code (MPI_ERRORS_RETURN),
        // which the layer turns into an MPIError with MPI's own text.
        var values: [Float] = [1]
        let error = try #require(throws: MPIError.self) { try world.broadcast(&values, root: 5) }
        #expect(error.call == "MPI_Bcast")
        #expect(error.code != 0)
        #expect(!error.message.isEmpty)
        #expect(error.description.contains("MPI_Bcast"))
    }
}
