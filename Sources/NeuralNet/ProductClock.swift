#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall time a workspace's matrix products take, summed as they run (two clock reads per
/// product, ~50 ns against products of 10-600 µs): the step's time against its own products,
/// measured in the same run and therefore free of the drift between separate runs on a shared
/// machine. What counts: each product call of the kernels, with what the library fuses into it
/// (oneDNN's bias and activation post-ops); not the bias, activation or derivative passes
/// OpenBLAS needs apart, bfloat16 conversions, the loss or the update.
public final class ProductClock {
    /// Seconds of products so far.
    public private(set) var seconds: Double = 0

    public init() {}

    /// Runs `product` and adds its wall time.
    @inline(__always)
    func measure(_ product: () -> Void) {
        let start = monotonicSeconds()
        product()
        seconds += monotonicSeconds() - start
    }
}

/// Seconds from CLOCK_MONOTONIC (the product clock's, and the micro-benchmarks').
@inline(__always)
public func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
