import Foundation
import Testing
@testable import NeuralNet

/// The workspace's product clock: every kernel library's products add to it, the passes around
/// them do not, and it never exceeds the wall time of the passes it sits in.
struct ProductClockTests {
    static var libraries: [KernelLibrary] { OneDNN.isAvailable ? [.openblas, .onednn] : [.openblas] }

    @Test(arguments: libraries)
    func productsAddUpWithinThePasses(library: KernelLibrary) throws {
        let rows = 50
        let model = Network(layout: NetworkLayout(sizes: [784, 128, 64, 10]), activation: .sigmoid)
        var random = RandomSource(seed: 7)
        model.initialize(.xavier, random: &random)
        let kernels = try ComputeKernels.resolve(library: library, precision: .fp32)
        let workspace = try NetworkWorkspace(model: model, capacity: rows, kernels: kernels)
        let input = (0..<(rows * 784)).map { _ in Float(random.nextUnitDouble()) }
        let labels = (0..<rows).map { Int32($0 % 10) }
        #expect(workspace.productClock.seconds == 0)
        var previous = 0.0
        var wall = 0.0
        for _ in 0..<5 {
            let start = monotonicSeconds()
            input.withUnsafeBufferPointer { x in
                labels.withUnsafeBufferPointer { y in
                    _ = model.lossAndGradients(input: x.baseAddress!, labels: y.baseAddress!, rows: rows, workspace: workspace)
                }
            }
            wall += monotonicSeconds() - start
            let now = workspace.productClock.seconds
            // 3 forward, 3 weight-gradient and 2 input-gradient products a pass.
            #expect(now > previous, "\(library): the products of a pass added nothing")
            previous = now
        }
        #expect(previous < wall, "\(library): products \(previous) s within passes of \(wall) s")
        // A forward pass alone adds its three products.
        input.withUnsafeBufferPointer { _ = model.forward(input: $0.baseAddress!, rows: rows, workspace: workspace) }
        #expect(workspace.productClock.seconds > previous)
    }
}
