import Testing
import TestSupport
@testable import NeuralNet

/// Leaf passes (`Network+LeafPasses`): one forward and backward pass over a batch, then each leaf's
/// gradients from its rows, against a forward and backward pass over each leaf alone.
struct LeafPassesTests {
    static let leafRows = 25, leaves = 4

    /// Each kernel library this machine runs in float32.
    static var kernelChoices: [ComputeKernels] {
        [.openblas] + ((try? ComputeKernels.resolve(library: .onednn, precision: .fp32)).map { [$0] } ?? [])
    }

    /// Every leaf's loss and gradients (written, and added onto another leaf's) agree with the
    /// leaf's own passes: bit for bit where `leafPassesMatch` says the kernels compute rows alike
    /// at both sizes, to float32 rounding otherwise (a wrong row window fails either way).
    @Test(arguments: kernelChoices)
    func leafGradientsAreTheLeafsOwn(kernels: ComputeKernels) throws {
        let rows = Self.leafRows * Self.leaves
        let model = Network(layout: NetworkLayout(sizes: [784, 64, 32, 10]), activation: .sigmoid)
        var random = RandomSource(seed: 5)
        model.initialize(.xavier, random: &random)
        let input = (0..<(rows * 784)).map { _ in Float(random.nextUnitDouble()) }
        let labels = (0..<rows).map { _ in Int32(random.next() % 10) }
        let leaf = try NetworkWorkspace(model: model, capacity: Self.leafRows, kernels: kernels)
        let batch = try NetworkWorkspace(model: model, capacity: rows, kernels: kernels, keepsLayerDeltas: true)
        #expect(model.runsLeafPasses(batch))
        #expect(!model.runsLeafPasses(leaf))
        let exact = model.leafPassesMatch(batch: batch, leaf: leaf, leafRows: Self.leafRows)
        let count = model.layout.parameterCount
        var losses = [Double](repeating: .nan, count: Self.leaves)
        var alone = [Float](repeating: .nan, count: count), together = [Float](repeating: .nan, count: count)
        input.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                losses.withUnsafeMutableBufferPointer { l in
                    model.forwardAndLeafLosses(
                        input: x.baseAddress!, labels: y.baseAddress!, rows: rows, leafRows: Self.leafRows, workspace: batch,
                        losses: l.baseAddress!)
                }
                model.backwardDeltas(workspace: batch)
                for index in 0..<Self.leaves {
                    let first = index * Self.leafRows
                    let adding = index > 0  // from the 2nd leaf: added onto the leaf before's gradients
                    if adding { together = alone }
                    let loss = model.forwardAndLoss(
                        input: x.baseAddress! + first * 784, labels: y.baseAddress! + first, rows: Self.leafRows, workspace: leaf)
                    model.backward(workspace: leaf, into: &alone, adding: adding, afterLayer: { _ in })
                    var layers: [Int] = []
                    model.leafGradients(
                        leaf: index, leafRows: Self.leafRows, workspace: batch, into: &together, adding: adding,
                        afterLayer: { layers.append($0) })
                    #expect(layers == [2, 1, 0])
                    if exact {
                        #expect(loss.bitPattern == losses[index].bitPattern, "leaf \(index)")
                        #expect(firstBitDifference(alone, together) == nil, "leaf \(index)")
                    } else {
                        #expect(abs(loss - losses[index]) < 1e-6 * max(1, abs(loss)), "leaf \(index)")
                        #expect(worstRelativeError(together, alone) < 1e-5, "leaf \(index)")
                    }
                }
            }
        }
    }

    /// A convolution, or bfloat16 products, keep the micro-batch-by-micro-batch passes.
    @Test func onlyDenseFloat32RunsLeafPasses() throws {
        let convolutional = Network(
            layout: try NetworkLayout(input: ConvolutionalLayoutTests.mnist, layers: LayerSpec.parseList("conv5x5x4,pool2,fc10")),
            activation: .relu)
        let workspace = try NetworkWorkspace(model: convolutional, capacity: 8, keepsLayerDeltas: true)
        #expect(!convolutional.runsLeafPasses(workspace))
        let dense = Network(layout: NetworkLayout(sizes: [784, 16, 10]), activation: .relu)
        #expect(!dense.runsLeafPasses(try NetworkWorkspace(model: dense, capacity: 8, training: false, keepsLayerDeltas: true)))
    }
}

/// The first index where two float arrays differ in their bits (nil: identical).
private func firstBitDifference(_ a: [Float], _ b: [Float]) -> Int? {
    guard a.count == b.count else { return -1 }
    return a.indices.first { a[$0].bitPattern != b[$0].bitPattern }
}
