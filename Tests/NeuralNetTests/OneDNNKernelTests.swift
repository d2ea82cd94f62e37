import Foundation
import Testing
import TestSupport
@testable import NeuralNet

/// Runs `model`'s forward and backward on one batch through `workspace`.
/// - Returns: the loss, the logits `[rows, outputSize]` and the gradients `[parameterCount]`.
private func lossLogitsAndGradients(
    _ model: Network, input: [Float], labels: [Int32], rows: Int, workspace: NetworkWorkspace
) -> (loss: Double, logits: [Float], gradients: [Float]) {
    let loss = input.withUnsafeBufferPointer { x in
        labels.withUnsafeBufferPointer { y in
            model.lossAndGradients(input: x.baseAddress!, labels: y.baseAddress!, rows: rows, workspace: workspace)
        }
    }
    let logits = Array(UnsafeBufferPointer(start: workspace.activations[model.layout.layers.count - 1].pointer,
                                           count: rows * model.layout.outputSize))
    return (loss, logits, model.gradients.array)
}

/// A model and a batch with MNIST-like inputs in [0, 1).
private func seedLikeBatch(sizes: [Int], rows: Int, activation: Activation, seed: UInt64)
    -> (model: Network, input: [Float], labels: [Int32]) {
    let model = Network(layout: NetworkLayout(sizes: sizes), activation: activation)
    var random = RandomSource(seed: seed)
    model.initialize(.xavier, random: &random)
    let input = (0..<(rows * sizes[0])).map { _ in Float(random.nextUnitDouble()) }
    let labels = (0..<rows).map { Int32($0 % sizes[sizes.count - 1]) }
    return (model, input, labels)
}

/// The largest |got - want| relative to the largest |want| (a scale-free error of a tensor).
/// NaN, a length mismatch or empty input fail every comparison with a tolerance.
private func relativeError(_ got: [Float], _ want: [Float]) -> Float {
    worstRelativeError(got, want)
}

/// oneDNN's kernels against the naive reference, OpenBLAS and float32 (its gradient check is
/// GradientCheckTests's, run for every kernel choice). Run where libdnnl.so.2
/// loads (scripts/test.sh installs it and checks that it does); the bfloat16 tests need a CPU
/// with AVX512_BF16 or AMX.
@Suite(.enabled(if: OneDNN.isAvailable, "oneDNN (libdnnl.so.2) does not load here"))
struct OneDNNKernelTests {
    static let nativeBFloat16 = (try? OneDNN.load().nativeBFloat16) ?? false
    /// MNIST_MPI_MAX_ISA, where it is the only cap (oneDNN's own variables win over it).
    static let projectCap: String? = {
        let environment = ProcessInfo.processInfo.environment
        guard environment["ONEDNN_MAX_CPU_ISA"] == nil, environment["DNNL_MAX_CPU_ISA"] == nil else { return nil }
        return environment["MNIST_MPI_MAX_ISA"].flatMap { ["avx2", "sse2"].contains($0) ? $0 : nil }
    }()

    /// MNIST_MPI_MAX_ISA caps oneDNN as ONEDNN_MAX_CPU_ISA would: no AVX-512 kernels under
    /// avx2, SSE4.1 ones under sse2, and no native bfloat16.
    @Test(.enabled(if: projectCap != nil, "runs under MNIST_MPI_MAX_ISA=avx2 or sse2 (scripts/test.sh's narrow pass)"))
    func projectCapNarrowsOneDNN() throws {
        let info = try OneDNN.load()
        #expect(!info.isa.hasPrefix("avx512") && !info.nativeBFloat16, "\(info.isa)")
        if Self.projectCap == "sse2" { #expect(info.isa == "sse41", "\(info.isa)") }
    }

    @Test(arguments: 0..<4)
    func matmulAgreesWithNaiveReference(caseIndex: Int) throws {
        let (transposeA, transposeB) = MatrixMultiplyTests.cases[caseIndex]
        let m = 7, n = 5, k = 9
        var random = RandomSource(seed: UInt64(caseIndex))
        let a = (0..<(m * k)).map { _ in Float(random.nextNormal()) }
        let b = (0..<(k * n)).map { _ in Float(random.nextNormal()) }
        let bias = (0..<n).map { _ in Float(random.nextNormal()) }
        var c = [Float](repeating: .nan, count: m * n)
        let product = try OneDNNMatmul(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                                       a: .float32, b: .float32, c: .float32, withBias: true, activation: .relu)
        product.run(a: a, b: b, bias: bias, c: &c)
        let reference = referenceMatrixMultiply(a, transposeA, b, transposeB, m: m, n: n, k: k)
        let expected = reference.enumerated().map { max($1 + bias[$0 % n], 0) }
        #expect(relativeError(c, expected) < 1e-5)
    }

    /// The seed model's shapes at batch 100 and a short last batch (primitives made on first use).
    @Test(arguments: [100, 37])
    func float32AgreesWithOpenBLAS(rows: Int) throws {
        let (model, input, labels) = seedLikeBatch(sizes: [784, 256, 256, 10], rows: rows, activation: .sigmoid, seed: 11)
        let blas = lossLogitsAndGradients(model, input: input, labels: labels, rows: rows,
                                          workspace: try NetworkWorkspace(model: model, capacity: 100))
        let dnnl = lossLogitsAndGradients(model, input: input, labels: labels, rows: rows,
                                          workspace: try NetworkWorkspace(model: model, capacity: 100,
                                                                      kernels: .resolve(library: .onednn, precision: .fp32)))
        #expect(abs(blas.loss - dnnl.loss) < 1e-5 * max(1, abs(blas.loss)))
        #expect(relativeError(dnnl.logits, blas.logits) < 1e-5)
        #expect(relativeError(dnnl.gradients, blas.gradients) < 1e-4)
    }

    @Test(.enabled(if: nativeBFloat16, "the CPU has neither AVX512_BF16 nor AMX"), arguments: Activation.allCases)
    func bfloat16AgreesWithFloat32WithinItsPrecision(activation: Activation) throws {
        let rows = 100
        let (model, input, labels) = seedLikeBatch(sizes: [784, 256, 256, 10], rows: rows, activation: activation, seed: 5)
        let single = lossLogitsAndGradients(model, input: input, labels: labels, rows: rows,
                                            workspace: try NetworkWorkspace(model: model, capacity: rows))
        let mixed = lossLogitsAndGradients(model, input: input, labels: labels, rows: rows,
                                           workspace: try NetworkWorkspace(model: model, capacity: rows,
                                                                       kernels: .resolve(library: .onednn, precision: .bf16)))
        // bfloat16 keeps 8 significant bits (relative rounding 2^-9 ≈ 0.002); sums of hundreds of
        // products and three layers leave errors of about 1% of the largest value.
        #expect(abs(mixed.loss - single.loss) < 0.02 * abs(single.loss))
        #expect(relativeError(mixed.logits, single.logits) < 0.03)
        for layer in model.layout.layers {
            let range = layer.weightOffset..<(layer.biasOffset + layer.outputs)
            let error = relativeError(Array(mixed.gradients[range]), Array(single.gradients[range]))
            #expect(error < 0.05, "layer \(layer.inputs)x\(layer.outputs): relative error \(error)")
        }
        // and not equal: the products really ran in bfloat16
        #expect(mixed.gradients != single.gradients)
    }

    /// LeNet-5's shapes in bfloat16 (the convolutions' primitives round their inputs, weights and
    /// deltas; dense layers and pooling stay float32) against float32: each layer's gradient
    /// within 5% of its largest value, or, where the activation's kinks make the network more
    /// sensitive (ReLU: a rounding flips units on or off), within 3 times what rounding the
    /// input batch alone to bfloat16 changes in a float32 pass (measured side by side).
    @Test(.enabled(if: nativeBFloat16, "the CPU has neither AVX512_BF16 nor AMX"), arguments: Activation.allCases)
    func convolutionsInBFloat16AgreeWithFloat32WithinItsPrecision(activation: Activation) throws {
        let rows = 50
        let layout = try NetworkLayout(input: ImageShape(height: 28, width: 28, channels: 1),
                                   layers: LayerSpec.parseList("conv5x5x6p2,maxpool2,conv5x5x16,avgpool2,fc120,fc84,fc10"))
        let model = Network(layout: layout, activation: activation)
        var random = RandomSource(seed: 8)
        model.initialize(.he, random: &random)
        let input = (0..<(rows * layout.inputSize)).map { _ in Float(random.nextUnitDouble()) }
        let labels = (0..<rows).map { Int32($0 % 10) }
        func float32Pass(_ input: [Float]) throws -> (loss: Double, logits: [Float], gradients: [Float]) {
            lossLogitsAndGradients(model, input: input, labels: labels, rows: rows,
                                   workspace: try NetworkWorkspace(model: model, capacity: rows,
                                                               kernels: .resolve(library: .onednn, precision: .fp32)))
        }
        let single = try float32Pass(input)
        let bf16Workspace = try NetworkWorkspace(model: model, capacity: rows, kernels: .resolve(library: .onednn, precision: .bf16))
        let mixed = lossLogitsAndGradients(model, input: input, labels: labels, rows: rows, workspace: bf16Workspace)
        // The convolutions' own bfloat16 primitives ran (no float32 stand-in).
        #expect(bf16Workspace.implementations.contains { $0.contains("bf16") }, "\(bf16Workspace.implementations)")
        let rounded = BFloat16Buffer(count: input.count)
        rounded.assign(roundingFrom: input, count: input.count)
        let roundedInput = try float32Pass((0..<input.count).map { Float(rounded[$0]) })
        #expect(abs(mixed.loss - single.loss) < 0.02 * abs(single.loss))
        #expect(relativeError(mixed.logits, single.logits) < 0.03)
        for (index, layer) in layout.layers.enumerated() where layer.biasCount > 0 {
            let range = layer.weightOffset..<(layer.biasOffset + layer.biasCount)
            let error = relativeError(Array(mixed.gradients[range]), Array(single.gradients[range]))
            let inputRounding = relativeError(Array(roundedInput.gradients[range]), Array(single.gradients[range]))
            #expect(error < max(0.05, 3 * inputRounding), "layer \(index): relative error \(error), input rounding alone \(inputRounding)")
        }
        // and not equal: the convolutions really ran in bfloat16
        #expect(mixed.gradients != single.gradients)
    }

    @Test func bfloat16RoundsToNearestEven() {
        // 1 + 2^-8 is halfway between bfloat16 1 and 1 + 2^-7: ties go to the even 1.
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to the even 1 + 2^-6.
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (1 + 0x1p-8, 0x3F80), (1 + 3 * 0x1p-8, 0x3F82), (1 + 0x1p-8 + 0x1p-20, 0x3F81),
            (-2.5, 0xC020), (.infinity, 0x7F80), (0, 0), (Float.greatestFiniteMagnitude, 0x7F80),
        ]
        // 37 values: two 16-lane blocks (the AVX-512 path where the CPU has it) and a tail of 5.
        let values = (0..<37).map { cases[$0 % cases.count].0 }
        let buffer = BFloat16Buffer(count: values.count)
        buffer.assign(roundingFrom: values, count: values.count)
        for (index, value) in values.enumerated() {
            let want = cases[index % cases.count].1
            #expect(buffer.pointer[index] == want, "bfloat16(\(value)) = \(buffer.pointer[index]), want \(want)")
        }
        let nan = BFloat16Buffer(count: 1)
        nan.assign(roundingFrom: [Float.nan], count: 1)
        #expect(nan[0].isNaN)
    }

    @Test func bfloat16NeedsOneDNN() {
        #expect(throws: KernelError.self) { try ComputeKernels.resolve(library: .openblas, precision: .bf16) }
        #expect((try? ComputeKernels.resolve(library: nil, precision: .fp32))?.library == .onednn)
        // More threads per rank: OpenBLAS, whose threading of these small products is the faster.
        #expect((try? ComputeKernels.resolve(library: nil, precision: .fp32, threads: 2))?.library == .openblas)
    }
}
