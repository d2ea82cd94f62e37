import NeuralNet
import SwiftMPI

/// `--compression bf16`: the whole buffer travels as bfloat16 in one blocking allreduce
/// (half the bytes; summed in float32 and rounded).
final class BFloat16Reducer: GradientReducer {
    let buffer: FloatBuffer
    private let wire: BFloat16Wire
    private let communicator: Communicator

    static func make(_ context: ReducerContext) throws -> BFloat16Reducer? {
        context.settings.compression == .bf16 ? BFloat16Reducer(context) : nil
    }

    private init(_ context: ReducerContext) {
        communicator = context.communicator
        buffer = FloatBuffer(count: context.count)
        wire = BFloat16Wire(count: context.count)
    }

    var description: String { "bfloat16 MPI_Allreduce" }
    var valuesPerSum: [Int] { communicator.size > 1 ? [buffer.count] : [] }
    var bytesPerValue: Int { 2 }
    func wireValue(_ value: Float) -> Float { BFloat16Wire.rounded(value) }

    func reduce(step: Int) throws {
        try communicator.allReduceSumBFloat16(wire.encode(buffer, 0..<buffer.count))
        wire.decode(into: buffer)
    }
}
