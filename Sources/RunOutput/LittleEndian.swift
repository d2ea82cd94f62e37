/// Little-endian integers in byte arrays, for the binary files the trainer writes (checkpoints,
/// TFRecord event files): the same bytes on every host.
public enum LittleEndian {
    /// Appends `value`'s bytes, least significant first (no allocation when `bytes` has room).
    @inline(__always)
    public static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// The `T` stored least significant byte first at `bytes[offset...]`.
    public static func read<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            for i in 0..<MemoryLayout<T>.size { target[i] = bytes[offset + i] }
        }
        return T(littleEndian: value)
    }
}
