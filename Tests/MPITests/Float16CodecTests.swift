import Testing
import SwiftMPI

/// The float16 wire's codec against Swift's own `Float16` (IEEE binary16, round to nearest
/// even): every one of the 65,536 bit patterns decodes exactly, and encoding agrees bit for bit
/// on the boundaries of every range and on a million random floats, in the vector path (8 at a
/// time with F16C where the CPU has it) and the scalar tail alike.
@Suite struct Float16CodecTests {
    /// What Swift's conversion gives; a NaN compared by its class only (quiet, with a payload).
    private func reference(_ value: Float) -> UInt16 { Float16(value).bitPattern }

    private func encode(_ values: [Float]) -> [UInt16] {
        var codes = [UInt16](repeating: 0, count: values.count)
        HalfFloat.float16.encode(values, into: &codes, count: values.count)
        return codes
    }

    @Test func everyPatternDecodesExactly() {
        let patterns = (0...UInt16.max).map { $0 }
        var decoded = [Float](repeating: 0, count: patterns.count)
        HalfFloat.float16.decode(patterns, into: &decoded, count: patterns.count)
        for (pattern, value) in zip(patterns, decoded) {
            let expected = Float(Float16(bitPattern: pattern))
            if expected.isNaN {
                #expect(value.isNaN, "pattern \(pattern)")
            } else {
                #expect(value.bitPattern == expected.bitPattern, "pattern \(pattern): \(value) != \(expected)")
            }
        }
        // And back: every non-NaN pattern survives a round trip.
        let again = encode(decoded)
        let broken = zip(patterns, again).filter { !Float(Float16(bitPattern: $0.0)).isNaN && $0.0 != $0.1 }
        #expect(broken.isEmpty, "\(broken.prefix(5))")
    }

    @Test func encodingRoundsLikeIEEE() {
        // Boundaries: the largest half and the rounding edge to infinity, the smallest normal
        // and subnormal, halfway cases (ties to even), zeros, infinities, NaN.
        var values: [Float] = [
            0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e9, .infinity, -.infinity, .nan,
            6.1035156e-05, 6.1035156e-05 * 0.5, 5.9604645e-08, 5.9604645e-08 * 0.5, 5.9604645e-08 * 0.51,
            5.9604645e-08 * 1.5, 2.9802322e-08, 1 + 1.0 / 2048, 1 + 3.0 / 2048, 2049, 2051, 0.1, -0.3333333,
        ]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<1_000_000 {
            // Exponents around float16's range, where the rounding cases live.
            let exponent = UInt32.random(in: 90...150, using: &random)
            let bits = (UInt32.random(in: 0...1, using: &random) << 31) | (exponent << 23)
                | UInt32.random(in: 0...0x7f_ffff, using: &random)
            values.append(Float(bitPattern: bits))
        }
        let codes = encode(values)
        var wrong = 0
        for (value, code) in zip(values, codes) {
            if value.isNaN {
                #expect(code & 0x7e00 == 0x7e00, "NaN stays a quiet NaN")
            } else if code != reference(value) {
                wrong += 1
                if wrong < 5 { Issue.record("\(value): \(code) != \(reference(value))") }
            }
        }
        #expect(wrong == 0)
        // The scalar path (fewer than 8 values) gives the same bits as the vector path.
        for start in stride(from: 0, to: 4000, by: 7) {
            let few = Array(values[start..<(start + 7)])
            #expect(encode(few) == Array(codes[start..<(start + 7)]))
        }
    }
}
