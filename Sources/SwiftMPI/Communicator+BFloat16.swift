import CMPI
import CMPIExtras

/// Gradient compression to bfloat16: the upper 16 bits of a float32 (same range, 8 bits of
/// mantissa), so an allreduce moves and adds half the bytes.
public enum BFloat16Codec {
    /// to[i] = bfloat16(from[i]), rounded to nearest even.
    ///
    /// - Parameters:
    ///   - from: `[count]` floats.
    ///   - to: `[count]` bfloat16 bit patterns.
    ///   - count: how many values.
    public static func encode(_ from: UnsafePointer<Float>, into to: UnsafeMutablePointer<UInt16>, count: Int) {
        cmpi_float_to_bf16(from, to, Int64(count))
    }

    /// to[i] = Float(from[i]) (exact).
    ///
    /// - Parameters:
    ///   - from: `[count]` bfloat16 bit patterns.
    ///   - to: `[count]` floats.
    ///   - count: how many values.
    public static func decode(_ from: UnsafePointer<UInt16>, into to: UnsafeMutablePointer<Float>, count: Int) {
        cmpi_bf16_to_float(from, to, Int64(count))
    }
}

extension Communicator {
    /// Sums bfloat16 values over all ranks, in place (a user MPI_Op; the additions are done in
    /// float32 and rounded back).
    ///
    /// - Parameter bits: `[n]` bfloat16 bit patterns; every rank passes the same `n`.
    /// - Throws: `MPIError` if the reduction fails.
    public func allReduceSumBFloat16(_ bits: UnsafeMutableBufferPointer<UInt16>) throws {
        guard bits.count > 0, let base = bits.baseAddress else { return }
        try checkMPI(
            "MPI_Allreduce",
            MPI_Allreduce(
                cmpi_in_place(), base, try mpiCount(bits.count, call: "MPI_Allreduce"), cmpi_bf16_type(),
                try bf16Sum(), handle))
    }

    /// Starts a nonblocking bfloat16 sum over all ranks (see `allReduceSumBFloat16`).
    ///
    /// - Returns: the request to `wait()` on; the buffer must stay untouched until then.
    public func startAllReduceSumBFloat16(_ bits: UnsafeMutableBufferPointer<UInt16>) throws -> Request {
        var request: RequestHandle = cmpi_request_null()
        guard bits.count > 0, let base = bits.baseAddress else { return Request(handle: request) }
        try checkMPI(
            "MPI_Iallreduce",
            MPI_Iallreduce(
                cmpi_in_place(), base, try mpiCount(bits.count, call: "MPI_Iallreduce"), cmpi_bf16_type(),
                try bf16Sum(), handle, &request))
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

    private func bf16Sum() throws -> MPI_Op {
        #if MPICH
        let op = cmpi_bf16_sum_op()
        #else
        guard let op = cmpi_bf16_sum_op() else {
            throw MPIError(call: "MPI_Op_create", usage: "cannot create the bfloat16 sum")
        }
        #endif
        guard op != cmpi_op_null() else {
            throw MPIError(call: "MPI_Op_create", usage: "cannot create the bfloat16 sum")
        }
        return op
    }
}
