import Foundation

/// Reads an image file whose format its first bytes tell: PNG or PGM.
public enum ImageFile {
    /// Images above this many pixels are refused before decoding (a 7000x7000 photo passes).
    public static let pixelLimit = 50_000_000

    /// Reads and decodes `path`.
    ///
    /// - Throws: `ImageError` in one line.
    public static func read(path: String) throws -> GreyImage {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? error.localizedDescription
            throw ImageError.unreadable(path, reason: reason)
        }
        return try decode(Array(data), path: path)
    }

    /// Decodes a whole file's bytes.
    public static func decode(_ bytes: [UInt8], path: String) throws -> GreyImage {
        guard !bytes.isEmpty else { throw ImageError.empty(path) }
        if bytes.starts(with: PNGCodec.signature) {
            return try PNGCodec.decode(bytes, path: path, pixelLimit: pixelLimit)
        }
        if PGMCodec.matches(bytes) { return try PGMCodec.decode(bytes, path: path, pixelLimit: pixelLimit) }
        throw ImageError.unknownFormat(path)
    }
}
