import RunOutput

/// A protocol-buffer message built field by field (proto2/proto3 wire format), enough for ONNX's
/// `ModelProto`: varints, strings, bytes, packed floats and nested messages.
struct ProtobufMessage {
    private(set) var bytes: [UInt8] = []

    private mutating func key(_ field: Int, _ wireType: UInt8) {
        ProtobufEncoding.appendVarint(UInt64(field) << 3 | UInt64(wireType), to: &bytes)
    }

    /// An int32/int64/enum field (negative values take ten bytes, as the format says).
    mutating func varint(_ field: Int, _ value: Int) {
        key(field, ProtobufEncoding.varint)
        ProtobufEncoding.appendVarint(UInt64(bitPattern: Int64(value)), to: &bytes)
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, ProtobufEncoding.lengthDelimited)
        ProtobufEncoding.appendVarint(UInt64(value.count), to: &bytes)
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtobufMessage) { bytes(field, value.bytes) }

    /// A `float` field (fixed32, little-endian).
    mutating func float(_ field: Int, _ value: Float) {
        key(field, ProtobufEncoding.fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A message built by `build` in place.
    static func make(_ build: (inout ProtobufMessage) -> Void) -> ProtobufMessage {
        var message = ProtobufMessage()
        build(&message)
        return message
    }
}
