import CPNG
import Foundation

/// PNG through libpng's simplified API, which converts any PNG colour type and bit depth to
/// 8-bit grey plus alpha.
public enum PNGCodec {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes `bytes` (a whole PNG file) to grey and alpha.
    ///
    /// - Parameters:
    ///   - path: named in errors.
    ///   - pixelLimit: refuse images with more pixels (checked before decoding).
    /// - Throws: `ImageError.malformed` with libpng's message, or `.tooLarge`.
    public static func decode(_ bytes: [UInt8], path: String, pixelLimit: Int) throws -> GreyImage {
        var image = png_image()
        image.version = cpng_image_version()
        let started = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard started != 0 else { throw ImageError.malformed(path, format: "PNG", reason: message(&image)) }
        defer { png_image_free(&image) }
        let width = Int(image.width), height = Int(image.height)
        guard width * height <= pixelLimit else {
            throw ImageError.tooLarge(path, width: width, height: height, limit: pixelLimit)
        }
        image.format = UInt32(PNG_FORMAT_GA)
        var pixels = [UInt8](repeating: 0, count: width * height * 2)
        let finished = pixels.withUnsafeMutableBytes {
            png_image_finish_read(&image, nil, $0.baseAddress, 0, nil)
        }
        guard finished != 0 else { throw ImageError.malformed(path, format: "PNG", reason: message(&image)) }
        var grey = [UInt8](repeating: 0, count: width * height)
        var alpha = grey
        for index in 0..<(width * height) {
            grey[index] = pixels[2 * index]
            alpha[index] = pixels[2 * index + 1]
        }
        return GreyImage(width: width, height: height, grey: grey, alpha: alpha)
    }

    /// Encodes 8-bit grey levels as a PNG file (tests and users writing digits out).
    ///
    /// - Parameter grey: `[height, width]` grey levels.
    /// - Returns: the file's bytes, or nil when libpng refuses.
    public static func encode(grey: [UInt8], width: Int, height: Int) -> [UInt8]? {
        precondition(grey.count == width * height && width > 0 && height > 0, "grey levels do not fit \(width)x\(height)")
        var image = png_image()
        image.version = cpng_image_version()
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_GRAY)
        var size = 0
        // First call sizes the output, the second writes it.
        guard grey.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }) != 0
        else { return nil }
        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { out in
            grey.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard written != 0 else { return nil }
        return Array(output.prefix(size))
    }

    /// libpng's message for the last failure.
    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? "libpng gave no reason" : text
        }
    }
}
