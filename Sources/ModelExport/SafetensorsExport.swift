import Foundation

/// Writes an `ExportedModel` as a safetensors file (huggingface/safetensors): an 8-byte
/// little-endian header length, a JSON header naming each tensor's dtype, shape and byte range
/// (`data_offsets`, from the start of the data), then the raw little-endian float32 data.
///
/// The names and shapes are those of a PyTorch `nn.Sequential(Linear, act, Linear, act, Linear)`
/// (`0.weight` `[256, 784]`, `0.bias` `[256]`, `2.weight` ...), so `load_state_dict` takes them.
public enum SafetensorsExport {
    /// The file's bytes.
    public static func encode(_ model: ExportedModel) throws -> [UInt8] {
        var header: [String: Any] = [:]
        var metadata: [String: String] = [:]
        for entry in model.metadata { metadata[entry.key] = entry.value }
        header["__metadata__"] = metadata
        var data: [UInt8] = []
        for tensor in model.tensors {
            let bytes = littleEndianBytes(tensor.values)
            header[tensor.name] = [
                "dtype": "F32", "shape": tensor.shape, "data_offsets": [data.count, data.count + bytes.count],
            ] as [String: Any]
            data.append(contentsOf: bytes)
        }
        var json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        // The format recommends padding the header with spaces to 8 bytes, aligning the data.
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var file: [UInt8] = []
        file.reserveCapacity(8 + json.count + data.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(contentsOf: json)
        file.append(contentsOf: data)
        return file
    }
}
