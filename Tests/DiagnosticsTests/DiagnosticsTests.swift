import Testing
@testable import Diagnostics
import NeuralNet

/// No MPI here: the MPI-using tests live in one serialized suite (MPITests), since MPI runs at
/// the FUNNELED thread level; the self-test runs under mpirun in TrainingTests.
@Suite struct DiagnosticsTests {
    /// OpenBLAS always; oneDNN in float32 and bfloat16 where they run here.
    static var kernelChoices: [ComputeKernels] {
        [ComputeKernels.openblas]
            + [Precision.fp32, .bf16].compactMap { try? ComputeKernels.resolve(library: .onednn, precision: $0) }
    }

    @Test(arguments: kernelChoices)
    func floorCountsTheProductsOfForwardAndBackward(kernels: ComputeKernels) throws {
        // [4, 3, 2], batch 5: layer 0 forward + weight gradient (no input gradient) = 2 products
        // of 5*4*3 MACs; layer 1 forward + weight + input gradient = 3 products of 5*3*2 MACs.
        let result = try ComputeFloor.measure(sizes: [4, 3, 2], batchSize: 5, steps: 7, repeats: 3, kernels: kernels)
        #expect(result.implementations.isEmpty == (kernels.library == .openblas))
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
