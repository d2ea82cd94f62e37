/// A small, fast, seeded generator (SplitMix64): the same seed gives the same stream on every
/// rank and platform, which is what reproducible initialisation and batch order need.
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator for `seed`; `stream` separates independent uses (e.g. rank and epoch).
    public init(seed: UInt64, stream: UInt64 = 0) {
        state = seed &+ 0x9E37_79B9_7F4A_7C15 &* (stream &+ 1)
        // Warm up so that nearby seeds do not give nearby first values.
        for _ in 0..<4 { _ = next() }
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in `[0, 1)` with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A draw from the normal distribution N(`mean`, `standardDeviation`²) (Box-Muller).
    public mutating func nextNormal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        let u1 = 1.0 - nextUnitDouble()  // in (0, 1], so log is finite
        let u2 = nextUnitDouble()
        let radius = (-2.0 * _log(u1)).squareRoot()
        return mean + standardDeviation * radius * _cos(2.0 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
private func _log(_ x: Double) -> Double { Glibc.log(x) }
private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Darwin)
import Darwin
private func _log(_ x: Double) -> Double { Darwin.log(x) }
private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
