import NeuralNet
import SwiftMPI

/// `--overlap`: one nonblocking allreduce per layer, started as soon as backward has finished
/// that layer (last layer first) and driven by `MPI_Test` while the earlier layers compute
/// (DDP-style buckets); `reduce` waits for all of them. In float32, or in the 16-bit format
/// `--compression` names (bf16, fp16).
final class OverlappedReducer: GradientReducer {
    let buffer: FloatBuffer
    private let communicator: Communicator
    /// The 16-bit copy when the values travel in a `HalfFloat` format.
    private let wire: HalfFloatWire?
    /// Per layer: the range of `buffer` its bucket covers (the last layer's includes the
    /// control values).
    private let buckets: [Range<Int>]
    private var pending: [Request] = []

    static func make(_ context: ReducerContext) throws -> OverlappedReducer? {
        context.settings.overlap ? OverlappedReducer(context) : nil
    }

    private init(_ context: ReducerContext) {
        communicator = context.communicator
        buffer = FloatBuffer(count: context.count)
        wire = context.settings.compression.halfFloat.map { HalfFloatWire($0, count: context.count) }
        let layers = context.layout.layers
        buckets = layers.enumerated().map { index, layer in
            let end = index == layers.count - 1 ? context.count : layer.biasOffset + layer.biasCount
            return layer.weightOffset..<end
        }
        pending.reserveCapacity(layers.count)
    }

    var description: String { "overlapped " + (wire.map { "\($0.format.name) " } ?? "") + "MPI_Allreduce" }
    var valuesPerSum: [Int] { communicator.size > 1 ? [buffer.count] : [] }
    var bytesPerValue: Int { wire == nil ? 4 : 2 }
    func wireValue(_ value: Float) -> Float { wire?.format.rounded(value) ?? value }

    func layerReady(_ index: Int) throws {
        let range = buckets[index]
        guard !range.isEmpty else { return }  // a pooling layer
        if let wire {
            pending.append(try communicator.startAllReduceSum(wire.encode(buffer, range), as: wire.format))
        } else {
            pending.append(try communicator.startAllReduce(
                UnsafeMutableBufferPointer(start: buffer.pointer + range.lowerBound, count: range.count), .sum))
        }
        for i in pending.indices { _ = try pending[i].test() }
    }

    func reduce(step: Int) throws {
        for i in pending.indices { try pending[i].wait() }
        pending.removeAll(keepingCapacity: true)
        wire?.decode(into: buffer)
    }
}
