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

/// `bench floor --model`: oneDNN's primitives for a model on images.
@Suite(.enabled(if: OneDNN.isAvailable, "oneDNN (libdnnl.so.2) does not load here"))
struct PrimitiveFloorTests {
    @Test func timesEveryPrimitiveOfLeNet5InStepOrder() throws {
        let layers: [LayerSpec] = [
            .convolution(filters: 6, kernel: 5, stride: 1, padding: 2), .pooling(.max, window: 2, stride: 2),
            .convolution(filters: 16, kernel: 5, stride: 1, padding: 0), .pooling(.max, window: 2, stride: 2),
            .dense(outputs: 120), .dense(outputs: 84), .dense(outputs: 10),
        ]
        let layout = try NetworkLayout(input: ImageShape(height: 28, width: 28, channels: 1), layers: layers)
        let result = try PrimitiveFloor.measure(layout: layout, activation: .relu, batchSize: 4, steps: 3, repeats: 2)
        // Forward of all 7 layers, then back from the last: weight gradients of the 5 layers with
        // weights, input gradients of all but the first.
        let backward = ["6 weight", "6 input", "5 weight", "5 input", "4 weight", "4 input", "3 input",
                        "2 weight", "2 input", "1 input", "0 weight"]
        #expect(result.products.map(\.name) == (0..<7).map { "layer \($0) forward" } + backward.map { "layer \($0) gradient" })
        // Each convolution or product counted 3 times a step (forward, weight and input
        // gradient) but the first layer's input gradient: 2 m n k flops each.
        let firstConvolution: Int = 2 * (4 * 28 * 28) * 6 * 25
        let secondConvolution: Int = 3 * (4 * 10 * 10) * 16 * 150
        let denseLayers: Int = 3 * 4 * (120 * 400 + 84 * 120 + 10 * 84)
        let macsPerStep = firstConvolution + secondConvolution + denseLayers
        #expect(result.flops == Double(2 * macsPerStep * 3))
        #expect(result.seconds.count == 2 && result.seconds.allSatisfy { $0 > 0 })
        #expect(result.products.allSatisfy { $0.seconds > 0 })
        // oneDNN names what ran ("brgconv:avx512_core" where it has a direct convolution, "gemm:jit"
        // on AVX2-only CPUs, where oneDNN 2.6 lowers nhwc convolutions): no name is assumed.
        #expect(!result.implementations.isEmpty)
        #expect(result.implementations.allSatisfy { $0.contains(":") }, "\(result.implementations)")
    }
}
