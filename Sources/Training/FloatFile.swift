import Foundation

/// Writes `values` as raw little-endian float32 to `path` (a testing aid for comparing ranks).
///
/// - Throws: `TrainingError.cannotWrite` naming the path.
func writeFloats(_ values: UnsafeMutableBufferPointer<Float>, to path: String) throws {
    let data = Data(buffer: values)
    do { try data.write(to: URL(fileURLWithPath: path)) } catch {
        throw TrainingError.cannotWrite(path: path, reason: error.localizedDescription)
    }
}
