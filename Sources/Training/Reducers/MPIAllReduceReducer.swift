import NeuralNet
import SwiftMPI

/// The plain sum: one blocking `MPI_Allreduce` of the whole buffer, in float32 or in the
/// 16-bit format `--compression` names (encoded, summed by the format's MPI_Op, decoded). Applies
/// everywhere, so it is what runs when no other reducer does.
final class MPIAllReduceReducer: GradientReducer {
    let buffer: FloatBuffer
    private let communicator: Communicator
    /// The 16-bit copy when the values travel in a `HalfFloat` format.
    private let wire: HalfFloatWire?

    static func make(_ context: ReducerContext) throws -> MPIAllReduceReducer? { try MPIAllReduceReducer(context) }

    init(_ context: ReducerContext) throws {
        communicator = context.communicator
        buffer = FloatBuffer(count: context.count)
        wire = context.settings.compression.halfFloat.map { HalfFloatWire($0, count: context.count) }
    }

    var description: String { wire.map { "\($0.format.name) MPI_Allreduce" } ?? "MPI_Allreduce" }
    var valuesPerSum: [Int] { communicator.size > 1 ? [buffer.count] : [] }
    var bytesPerValue: Int { wire == nil ? 4 : 2 }
    func wireValue(_ value: Float) -> Float { wire?.format.rounded(value) ?? value }

    func reduce(step: Int) throws {
        guard let wire else { return try communicator.allReduce(buffer.buffer, .sum) }
        try communicator.allReduceSum(wire.encode(buffer, 0..<buffer.count), as: wire.format)
        wire.decode(into: buffer)
    }
}
