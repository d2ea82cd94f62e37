/// The few protocol-buffer encodings TensorBoard's `Event` and `Summary` messages need, written
/// by hand into a byte array (no allocation when the array has room); ModelExport writes ONNX
/// with the same functions.
public enum ProtobufEncoding {
    /// Wire types.
    public static let varint: UInt8 = 0, fixed64: UInt8 = 1, lengthDelimited: UInt8 = 2, fixed32: UInt8 = 5

    /// A field key of one byte: fields 1...15 only (larger numbers need `appendVarint`).
    public static func key(_ field: UInt8, _ wireType: UInt8) -> UInt8 { field << 3 | wireType }

    public static func appendVarint(_ value: UInt64, to output: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        output.append(UInt8(value))
    }

    public static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var value = value
        while value >= 0x80 { value >>= 7; size += 1 }
        return size
    }

    /// Reads a varint at `offset`, advancing it; nil when the bytes end first.
    public static func readVarint(_ bytes: [UInt8], _ offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }
}
