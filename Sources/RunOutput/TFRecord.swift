/// TFRecord framing, the container of TensorBoard event files: per record the payload length
/// (UInt64, little-endian), the masked CRC-32C of those 8 bytes, the payload, and the masked
/// CRC-32C of the payload.
public enum TFRecord {
    /// Appends `payload` framed as one record to `output` (no allocation when `output` has room).
    public static func append(_ payload: [UInt8], to output: inout [UInt8]) {
        let start = output.count
        LittleEndian.append(UInt64(payload.count), to: &output)
        let lengthCRC = output.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + 8)])) }
        LittleEndian.append(CRC32C.masked(lengthCRC), to: &output)
        output.append(contentsOf: payload)
        LittleEndian.append(CRC32C.masked(CRC32C.checksum(payload)), to: &output)
    }

    /// The payloads of the whole, checksum-valid records at the start of `bytes`, and how many
    /// bytes they span. Reading stops at the first record that is cut short or fails its
    /// checksum (a file whose writer was killed mid-record).
    public static func records(in bytes: [UInt8]) -> (payloads: [[UInt8]], validBytes: Int) {
        var payloads: [[UInt8]] = []
        var offset = 0
        while bytes.count - offset >= 16 {
            let length = LittleEndian.read(UInt64.self, bytes, at: offset)
            guard length <= UInt64(bytes.count - offset - 16),
                  CRC32C.masked(CRC32C.checksum(Array(bytes[offset..<(offset + 8)])))
                    == LittleEndian.read(UInt32.self, bytes, at: offset + 8)
            else { break }
            let payload = Array(bytes[(offset + 12)..<(offset + 12 + Int(length))])
            guard CRC32C.masked(CRC32C.checksum(payload)) == LittleEndian.read(UInt32.self, bytes, at: offset + 12 + Int(length))
            else { break }
            payloads.append(payload)
            offset += 16 + Int(length)
        }
        return (payloads, offset)
    }
}
