/// The one conversion from a Swift `Int` to MPI's `int` (counts, ranks, colours, unit sizes):
/// every MPI call in this module goes through it, so a value past `Int32.max` is an error
/// naming the call, never a silent truncation or a trap.
///
/// - Parameters:
///   - value: the count, rank or size to pass.
///   - call: the MPI function that takes it, for the error message.
/// - Returns: `value` as `Int32`.
/// - Throws: `MPIError` when `value` is negative or does not fit in MPI's `int`.
@inline(__always)
func mpiCount(_ value: Int, call: @autoclosure () -> String) throws -> Int32 {
    guard value >= 0, let narrow = Int32(exactly: value) else {
        throw MPIError(call: call(), usage: "\(value) does not fit MPI's int count (0...\(Int32.max))")
    }
    return narrow
}
