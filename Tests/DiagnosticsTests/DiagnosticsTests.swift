import Testing
@testable import Diagnostics

/// No MPI here: the MPI-using tests live in one serialized suite (MPITests), since MPI runs at
/// the FUNNELED thread level; the self-test runs under mpirun in TrainingTests.
@Suite struct DiagnosticsTests {
    @Test func floorCountsTheProductsOfForwardAndBackward() {
        // [4, 3, 2], batch 5: layer 0 forward + weight gradient (no input gradient) = 2 products
        // of 5*4*3 MACs; layer 1 forward + weight + input gradient = 3 products of 5*3*2 MACs.
        let result = ComputeFloor.measure(sizes: [4, 3, 2], batchSize: 5, steps: 7, repeats: 3)
        #expect(result.flops == Double(7 * 2 * (2 * 5 * 4 * 3 + 3 * 5 * 3 * 2)))
        #expect(result.seconds.count == 3)
        // The products really ran: every repeat took time, and the rate is a finite number.
        #expect(result.seconds.allSatisfy { $0 > 0 })
        #expect(result.medianSeconds > 0 && (result.flops / result.medianSeconds).isFinite)
    }

    @Test func medianOfOddAndEvenCounts() {
        #expect(median([3, 1, 2]) == 2)
        #expect(median([4, 1, 3, 2]) == 2.5)
        #expect(median([]).isNaN)
    }
}
