/// Error measures for tests that fail on what they exist to catch: a NaN or infinity anywhere
/// (`max(x, .nan)` is x, so a plain running maximum would hide one), arrays of different
/// lengths (`zip` stops at the shorter), and nothing to compare (a maximum over nothing is not
/// a pass).

/// The largest of `values`: NaN when any is NaN, infinity when there are none.
public func largestPropagatingNaN<Values: Sequence>(_ values: Values) -> Values.Element
where Values.Element: BinaryFloatingPoint {
    var largest: Values.Element? = nil
    for value in values {
        if value.isNaN { return .nan }
        if largest.map({ value > $0 }) ?? true { largest = value }
    }
    return largest ?? .infinity
}

/// The largest |got − want| over pairs, relative to the largest |want| (at least `floor`):
/// infinity when the lengths differ or both are empty, NaN when any value is not finite.
public func worstRelativeError<T: BinaryFloatingPoint>(_ got: [T], _ want: [T], floor: T = 1e-12) -> T {
    guard got.count == want.count, !got.isEmpty else { return .infinity }
    if (got + want).contains(where: { !$0.isFinite }) { return .nan }
    let scale = max(largestPropagatingNaN(want.map { abs($0) }), floor)
    return largestPropagatingNaN(zip(got, want).map { abs($0 - $1) }) / scale
}

/// Where two byte strings first differ ("identical" when they do not), for comparing files of
/// parameters: a failed `#expect(a == b)` on megabytes makes Swift Testing diff the two
/// collections, which takes longer than any time limit.
public func firstDifference<Bytes: Collection>(_ a: Bytes, _ b: Bytes) -> String where Bytes.Element == UInt8 {
    guard a.count == b.count else { return "lengths differ: \(a.count) and \(b.count) bytes" }
    for (offset, (x, y)) in zip(a, b).enumerated() where x != y {
        return "byte \(offset) differs: \(x) and \(y)"
    }
    return "identical"
}
