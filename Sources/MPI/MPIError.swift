import CMPI

/// An MPI call that did not return `MPI_SUCCESS`, with the library's own explanation.
public struct MPIError: Error, CustomStringConvertible, Equatable {
    /// The MPI function that failed, e.g. `MPI_Allreduce`.
    public let call: String
    /// The raw MPI error code.
    public let code: Int32
    /// The text of `MPI_Error_string` for `code`.
    public let message: String

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
