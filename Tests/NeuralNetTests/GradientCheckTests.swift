import Testing
@testable import NeuralNet
import TestSupport

/// The backward pass against finite differences of a double-precision reference.
@Suite struct GradientCheckTests {
    /// OpenBLAS always; oneDNN's float32 primitives where libdnnl.so.2 loads.
    static let kernelChoices: [ComputeKernels] =
        [.openblas] + [try? ComputeKernels.resolve(library: .onednn, precision: .fp32)].compactMap { $0 }

    @Test(arguments: Activation.allCases, kernelChoices)
    func backwardMatchesFiniteDifferences(activation: Activation, kernels: ComputeKernels) throws {
        try checkGradients(layout: NetworkLayout(sizes: [6, 5, 4, 3]), activation: activation, kernels: kernels)
    }

    /// Small convolutional models covering padding, stride, max and average pooling, a
    /// convolution after pooling (its input delta added back through the lowering) and dense
    /// layers on flattened images.
    static let convolutionalModels: [(ImageShape, String)] = [
        (ImageShape(height: 7, width: 7, channels: 2), "conv3x3x3p1,maxpool2,conv2x2x4,avgpool2s1,fc5,fc3"),
        (ImageShape(height: 6, width: 5, channels: 1), "conv3x3x3p2s2,avgpool2,fc3"),
        (ImageShape(height: 8, width: 8, channels: 3), "maxpool2,conv3x3x2,fc3"),
    ]

    @Test(arguments: Activation.allCases, kernelChoices)
    func convolutionalBackwardMatchesFiniteDifferences(activation: Activation, kernels: ComputeKernels) throws {
        for (image, layers) in GradientCheckTests.convolutionalModels {
            let layout = try NetworkLayout(input: image, layers: LayerSpec.parseList(layers))
            let workspace = try checkGradients(layout: layout, activation: activation, kernels: kernels)
            if kernels.library == .onednn, layers.hasPrefix("conv3x3x3p1") {
                // oneDNN's own convolution primitives ran (not products on the lowered input),
                // whatever oneDNN calls them on this CPU ("brgconv", "jit", "gemm:jit" on AVX2).
                let primitives = (workspace.layerKernels as? OneDNNLayerKernels)?.convolutionPrimitiveCount ?? 0
                #expect(primitives == 2, "\(workspace.implementations)")
            }
        }
    }

    @discardableResult
    private func checkGradients(layout: NetworkLayout, activation: Activation, kernels: ComputeKernels) throws -> NetworkWorkspace {
        let rows = 4
        let inputSize = layout.inputSize
        let model = Network(layout: layout, activation: activation)
        var random = RandomSource(seed: 7)
        model.initialize(.normal(standardDeviation: 0.8), random: &random)
        let input = (0..<(rows * inputSize)).map { _ in Float(random.nextUnitDouble()) }
        let labels: [Int32] = [0, 2, 1, 2]

        let workspace = try NetworkWorkspace(model: model, capacity: rows, kernels: kernels)
        let loss = input.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                model.lossAndGradients(input: x.baseAddress!, labels: y.baseAddress!, rows: rows, workspace: workspace)
            }
        }

        let reference = ReferenceNetwork(layout: layout, activation: activation)
        let parameters = model.parameters.array.map(Double.init)
        let inputD = input.map(Double.init)
        let labelsI = labels.map(Int.init)
        let referenceLoss = reference.loss(parameters: parameters, input: inputD, labels: labelsI, rows: rows)
        #expect(abs(loss - referenceLoss) < 1e-5 * max(1, abs(referenceLoss)))

        let epsilon = 1e-6
        var errors: [Double] = []
        for index in 0..<layout.parameterCount {
            var plus = parameters, minus = parameters
            plus[index] += epsilon
            minus[index] -= epsilon
            let numeric = (reference.loss(parameters: plus, input: inputD, labels: labelsI, rows: rows)
                - reference.loss(parameters: minus, input: inputD, labels: labelsI, rows: rows)) / (2 * epsilon)
            let analytic = Double(model.gradients[index])
            errors.append(abs(numeric - analytic) / max(1e-3, abs(numeric) + abs(analytic)))
        }
        // NaN in any gradient (or no gradient at all) fails here.
        let worst = largestPropagatingNaN(errors)
        #expect(worst < 1e-3, "largest relative gradient error \(worst) for \(layout.architecture) \(activation) on \(kernels)")
        return workspace
    }

    @Test func layoutOffsetsTileTheFlatBuffer() {
        let layout = NetworkLayout(sizes: [784, 256, 256, 10])
        #expect(layout.parameterCount == 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10)
        #expect(layout.parameterCount == 269_322)
        var expected = 0
        for layer in layout.layers {
            #expect(layer.weightOffset == expected)
            #expect(layer.biasOffset == expected + layer.inputs * layer.outputs)
            expected = layer.biasOffset + layer.outputs
        }
    }
}
