import NeuralNet
import SwiftMPI

/// `--overlap`: one nonblocking allreduce per layer, started as soon as backward has finished
/// that layer (last layer first) and driven by `MPI_Test` while the earlier layers compute
/// (DDP-style buckets); `reduce` waits for all of them. In float32, or bfloat16 with
/// `--compression bf16`.
final class OverlappedReducer: GradientReducer {
    let buffer: FloatBuffer
    private let communicator: Communicator
    /// The bfloat16 copy when the values travel as bfloat16.
    private let wire: BFloat16Wire?
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
        wire = context.settings.compression == .bf16 ? BFloat16Wire(count: context.count) : nil
        let layers = context.layout.layers
        buckets = layers.enumerated().map { index, layer in
            let end = index == layers.count - 1 ? context.count : layer.biasOffset + layer.outputs
            return layer.weightOffset..<end
        }
        pending.reserveCapacity(layers.count)
    }

    var description: String { "overlapped " + (wire == nil ? "" : "bfloat16 ") + "MPI_Allreduce" }
    var valuesPerSum: [Int] { communicator.size > 1 ? [buffer.count] : [] }
    var bytesPerValue: Int { wire == nil ? 4 : 2 }
    func wireValue(_ value: Float) -> Float { wire == nil ? value : BFloat16Wire.rounded(value) }

    func layerReady(_ index: Int) throws {
        let range = buckets[index]
        if let wire {
            pending.append(try communicator.startAllReduceSumBFloat16(wire.encode(buffer, range)))
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
