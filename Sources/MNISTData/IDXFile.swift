import CZlib
import Foundation

/// The header of an IDX file (the MNIST format): magic number, then one big-endian UInt32 per
/// dimension; the data follow as unsigned bytes.
public struct IDXHeader: Equatable, Sendable {
    /// The full magic number, e.g. 0x00000803 for unsigned-byte data with 3 dimensions.
    public let magic: UInt32
    /// The dimensions, first the item count (e.g. `[60000, 28, 28]`).
    public let dimensions: [Int]

    /// The number of items (the first dimension).
    public var itemCount: Int { dimensions[0] }
    /// Bytes per item (the product of the other dimensions; 1 for labels).
    public var itemSize: Int { dimensions.dropFirst().reduce(1, *) }
    /// Bytes before the data.
    public var byteCount: Int { 4 + 4 * dimensions.count }
}

/// Reads IDX files, plain or gzip-compressed (zlib's gz* API reads both), validating the magic
/// number, the dimensions and the length, and reading only a requested range of items.
public enum IDXFile {
    /// The magic number of unsigned-byte data with `dimensionCount` dimensions.
    public static func magic(dimensionCount: Int) -> UInt32 { 0x0000_0800 | UInt32(dimensionCount) }

    /// Reads and validates the header of `path`.
    ///
    /// - Parameters:
    ///   - path: a plain or .gz IDX file.
    ///   - dimensionCount: the expected number of dimensions (3 for images, 1 for labels).
    /// - Throws: `MNISTDataError` naming the file and the problem.
    public static func readHeader(path: String, dimensionCount: Int) throws -> IDXHeader {
        let file = try GzipReader(path: path)
        defer { file.close() }
        return try readHeader(from: file, path: path, dimensionCount: dimensionCount)
    }

    /// Reads the items `range` of `path` (a rank's shard), after validating the header and that
    /// the whole file is there.
    ///
    /// - Returns: the header and `[range.count × itemSize]` bytes.
    /// - Throws: `MNISTDataError` naming the file and the problem.
    public static func readItems(
        path: String, dimensionCount: Int, range: Range<Int>
    ) throws -> (header: IDXHeader, bytes: [UInt8]) {
        let file = try GzipReader(path: path)
        defer { file.close() }
        let header = try readHeader(from: file, path: path, dimensionCount: dimensionCount)
        try file.checkLength(expected: header.byteCount + header.itemCount * header.itemSize)
        guard range.lowerBound >= 0, range.upperBound <= header.itemCount else {
            throw MNISTDataError.rangeOutOfBounds(path, range: range, count: header.itemCount)
        }
        try file.skip(range.lowerBound * header.itemSize)
        var bytes = [UInt8](repeating: 0, count: range.count * header.itemSize)
        try file.read(into: &bytes)
        return (header, bytes)
    }

    private static func readHeader(
        from file: GzipReader, path: String, dimensionCount: Int
    ) throws -> IDXHeader {
        var magicBytes = [UInt8](repeating: 0, count: 4)
        try file.read(into: &magicBytes, what: "the header")
        let magic = bigEndian(magicBytes, 0)
        let expected = IDXFile.magic(dimensionCount: dimensionCount)
        guard magic == expected else {
            throw MNISTDataError.badMagic(path, found: magic, expected: expected)
        }
        var dimensionBytes = [UInt8](repeating: 0, count: 4 * dimensionCount)
        try file.read(into: &dimensionBytes, what: "the header")
        let dimensions = (0..<dimensionCount).map { Int(bigEndian(dimensionBytes, 4 * $0)) }
        guard dimensions.allSatisfy({ $0 > 0 }) else {
            throw MNISTDataError.badDimensions(path, reason: "\(dimensions) has a zero dimension")
        }
        // Refuse absurd sizes before allocating or multiplying anything else (MNIST is 47 MB):
        // every later size (item size, byte count) is a factor of this bounded product.
        var total = 1
        for dimension in dimensions {
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= 1 << 34 else {
                throw MNISTDataError.badDimensions(path, reason: "\(dimensions) is implausibly large")
            }
            total = product
        }
        return IDXHeader(magic: magic, dimensions: dimensions)
    }

    private static func bigEndian(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { ($0 << 8) | UInt32($1) }
    }
}
