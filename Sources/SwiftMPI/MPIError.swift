import CMPI

/// An MPI call that did not return `MPI_SUCCESS`, with the library's own explanation: switch on
/// `errorClass` (the same cases under Open MPI and MPICH, whose numbers differ), read `call`
/// and `message` for the line to show.
///
/// ```swift
/// do { try world.broadcast(&values, root: 5) } catch let error as MPIError {
///     switch error.errorClass {
///     case .root: print("no such root: \(error.message)")
///     case .usage: print("refused before MPI: \(error.message)")
///     default: print(error)
///     }
/// }
/// ```
public struct MPIError: Error, CustomStringConvertible, Equatable {
    /// The MPI error classes a caller may want to tell apart (`MPI_Error_class` of the code).
    public enum ErrorClass: Equatable, Sendable {
        case buffer, count, type, communicator, rank, root, operation, argument, truncated, window
        case noMemory, internalError, other
        /// A class this list does not name, by its number in this implementation.
        case unnamed(Int32)
        /// Found by this layer before any MPI call (a count past MPI's int, a usage rule).
        case usage
    }

    /// The MPI function that failed, e.g. `MPI_Allreduce`.
    public let call: String
    /// The raw MPI error code (-1 for `.usage`).
    public let code: Int32
    /// The text of `MPI_Error_string` for `code`.
    public let message: String

    /// The class of `code`.
    public var errorClass: ErrorClass {
        guard code >= 0 else { return .usage }
        var raw: Int32 = 0
        guard MPI_Error_class(code, &raw) == cmpi_success() else { return .unnamed(code) }
        let named: [(Int32, ErrorClass)] = [
            (cmpi_err_buffer(), .buffer), (cmpi_err_count(), .count), (cmpi_err_type(), .type),
            (cmpi_err_comm(), .communicator), (cmpi_err_rank(), .rank), (cmpi_err_root(), .root),
            (cmpi_err_op(), .operation), (cmpi_err_arg(), .argument), (cmpi_err_truncate(), .truncated),
            (cmpi_err_win(), .window), (cmpi_err_no_mem(), .noMemory), (cmpi_err_intern(), .internalError),
            (cmpi_err_other(), .other),
        ]
        return named.first { $0.0 == raw }?.1 ?? .unnamed(raw)
    }

    public var description: String { "\(call) failed (code \(code)): \(message)" }

    /// Builds the error for `code`, asking MPI for its description.
    init(call: String, code: Int32) {
        self.call = call
        self.code = code
        self.message = MPIError.errorString(code)
    }

    /// A usage error found before any MPI call (e.g. a buffer of the wrong size).
    init(call: String, usage: String) {
        self.call = call
        self.code = -1
        self.message = usage
    }

    private static func errorString(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        let result = MPI_Error_string(code, &buffer, &length)
        guard result == cmpi_success() else { return "unknown MPI error" }
        let bytes = buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The one choke point for MPI return codes: every call in this module goes through it.
///
/// - Parameters:
///   - call: the MPI function's name, for the error message.
///   - code: what the function returned.
/// - Throws: `MPIError` unless `code` is `MPI_SUCCESS`.
@inline(__always)
func checkMPI(_ call: @autoclosure () -> String, _ code: Int32) throws {
    if code != cmpi_success() {
        throw MPIError(call: call(), code: code)
    }
}
