import CMPI
import CMPIExtras

/// The 16-bit floating-point formats a gradient can travel in: half the bytes of float32,
/// summed pairwise in float32 by a user MPI_Op and rounded to nearest even.
///
/// A format here is what `--compression` offers by its raw value, what `--compression auto`
/// and `mnist-mpi bench compression` time, and what the MPI and overlapped sums can send: a new
/// format is one case here and its C codec (CBFloat16, CFloat16).
public enum HalfFloat: String, Sendable, CaseIterable {
    /// The upper 16 bits of a float32: float32's range, 8 bits of mantissa.
    case bfloat16 = "bf16"
    /// IEEE 754 binary16: 11 bits of mantissa, range up to 65504 (F16C conversions where the CPU
    /// has them).
    case float16 = "fp16"

    /// The format's name in descriptions ("bfloat16").
    public var name: String {
        switch self {
        case .bfloat16: "bfloat16"
        case .float16: "float16"
        }
    }

    /// to[i] = self(from[i]), rounded to nearest even.
    ///
    /// - Parameters:
    ///   - from: `[count]` floats.
    ///   - to: `[count]` 16-bit patterns.
    ///   - count: how many values.
    public func encode(_ from: UnsafePointer<Float>, into to: UnsafeMutablePointer<UInt16>, count: Int) {
        switch self {
        case .bfloat16: cmpi_float_to_bf16(from, to, Int64(count))
        case .float16: cmpi_float_to_f16(from, to, Int64(count))
        }
    }

    /// to[i] = Float(from[i]) (exact).
    ///
    /// - Parameters:
    ///   - from: `[count]` 16-bit patterns.
    ///   - to: `[count]` floats.
    ///   - count: how many values.
    public func decode(_ from: UnsafePointer<UInt16>, into to: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .bfloat16: cmpi_bf16_to_float(from, to, Int64(count))
        case .float16: cmpi_f16_to_float(from, to, Int64(count))
        }
    }

    /// `value` rounded to this format and back: what a receiver gets.
    public func rounded(_ value: Float) -> Float {
        var code: UInt16 = 0
        withUnsafePointer(to: value) { encode($0, into: &code, count: 1) }
        var kept: Float = 0
        withUnsafePointer(to: code) { decode($0, into: &kept, count: 1) }
        return kept
    }

    /// The instruction set the float16 conversions use here ("f16c" or "scalar").
    public static var float16InstructionSet: String { String(cString: cmpi_f16_instruction_set()) }

    /// The user operation that sums this format.
    fileprivate func sumOperation() throws -> MPI_Op {
        let created = self == .bfloat16 ? cmpi_bf16_sum_op() : cmpi_f16_sum_op()
        #if MPICH
        let op = created
        #else
        guard let op = created else {
            throw MPIError(call: "MPI_Op_create", usage: "cannot create the \(name) sum")
        }
        #endif
        guard op != cmpi_op_null() else {
            throw MPIError(call: "MPI_Op_create", usage: "cannot create the \(name) sum")
        }
        return op
    }
}

extension Communicator {
    /// Sums 16-bit floats of `format` over all ranks, in place (a user MPI_Op; the additions are
    /// done in float32 and rounded back).
    ///
    /// - Parameters:
    ///   - bits: `[n]` bit patterns; every rank passes the same `n`.
    ///   - format: the 16-bit format the patterns are in.
    /// - Throws: `MPIError` if the reduction fails.
    public func allReduceSum(_ bits: UnsafeMutableBufferPointer<UInt16>, as format: HalfFloat) throws {
        guard bits.count > 0, let base = bits.baseAddress else { return }
        try checkMPI(
            "MPI_Allreduce",
            MPI_Allreduce(
                cmpi_in_place(), base, try mpiCount(bits.count, call: "MPI_Allreduce"), cmpi_bf16_type(),
                try format.sumOperation(), handle))
    }

    /// Starts a nonblocking sum of 16-bit floats of `format` over all ranks (see `allReduceSum(_:as:)`).
    ///
    /// - Parameters:
    ///   - bits: `[n]` bit patterns; every rank passes the same `n`.
    ///   - format: the 16-bit format the patterns are in.
    /// - Returns: the request to `wait()` on; the buffer must stay untouched until then.
    public func startAllReduceSum(_ bits: UnsafeMutableBufferPointer<UInt16>, as format: HalfFloat) throws -> Request {
        var request: RequestHandle = cmpi_request_null()
        guard bits.count > 0, let base = bits.baseAddress else { return Request(handle: request) }
        try checkMPI(
            "MPI_Iallreduce",
            MPI_Iallreduce(
                cmpi_in_place(), base, try mpiCount(bits.count, call: "MPI_Iallreduce"), cmpi_bf16_type(),
                try format.sumOperation(), handle, &request))
        return Request(handle: request)
    }

    /// Seconds per in-place float sum allreduce of `buffer`, measured by a plain C loop of
    /// `iterations` MPI_Allreduce calls: the baseline for this layer's overhead.
    ///
    /// - Throws: `MPIError` if a call fails.
    public func timeRawAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, iterations: Int) throws -> Double {
        guard let base = buffer.baseAddress else { return 0 }
        var seconds = 0.0
        var failedCall: UnsafePointer<CChar>? = nil
        let code = cmpi_time_allreduce(
            base, try mpiCount(buffer.count, call: "MPI_Allreduce"),
            try mpiCount(iterations, call: "MPI_Allreduce"), &seconds, &failedCall)
        try checkMPI(failedCall.map { String(cString: $0) } ?? "MPI_Allreduce", code)
        return seconds
    }
}
