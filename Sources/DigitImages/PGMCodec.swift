/// Netpbm grey maps: binary `P5` and plain `P2`, 8 or 16 bits per level (`maxval` up to 65535),
/// `#` comments in the header.
public enum PGMCodec {
    /// Whether `bytes` start like a PGM file.
    static func matches(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == UInt8(ascii: "P") && (bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "2"))
    }

    /// Decodes a whole PGM file, levels rescaled to 0...255.
    ///
    /// - Throws: `ImageError.malformed` naming the missing or bad part, or `.tooLarge`.
    public static func decode(_ bytes: [UInt8], path: String, pixelLimit: Int) throws -> GreyImage {
        func malformed(_ reason: String) -> ImageError { .malformed(path, format: "PGM", reason: reason) }
        guard matches(bytes) else { throw malformed("no P5 or P2 magic") }
        let plain = bytes[1] == UInt8(ascii: "2")
        var offset = 2
        let width = try headerNumber(bytes, &offset) ?? { throw malformed("no width") }()
        let height = try headerNumber(bytes, &offset) ?? { throw malformed("no height") }()
        let maxval = try headerNumber(bytes, &offset) ?? { throw malformed("no maximum level") }()
        guard width > 0, height > 0 else { throw malformed("size \(width)x\(height)") }
        guard (1...65535).contains(maxval) else { throw malformed("maximum level \(maxval) outside 1...65535") }
        guard width <= pixelLimit, height <= pixelLimit, width * height <= pixelLimit else {
            throw ImageError.tooLarge(path, width: width, height: height, limit: pixelLimit)
        }
        let count = width * height
        var levels = [Int](repeating: 0, count: count)
        if plain {
            for index in 0..<count {
                levels[index] = try headerNumber(bytes, &offset) ?? { throw malformed("truncated after \(index) of \(count) levels") }()
            }
        } else {
            offset += 1  // the single whitespace byte after maxval
            let wide = maxval > 255
            let needed = count * (wide ? 2 : 1)
            guard bytes.count - offset >= needed else {
                throw malformed("truncated: \(max(0, bytes.count - offset)) of \(needed) data bytes")
            }
            for index in 0..<count {
                levels[index] = wide
                    ? Int(bytes[offset + 2 * index]) << 8 | Int(bytes[offset + 2 * index + 1])
                    : Int(bytes[offset + index])
            }
        }
        guard levels.allSatisfy({ $0 <= maxval }) else { throw malformed("a level above the maximum \(maxval)") }
        let grey = levels.map { UInt8(($0 * 255 + maxval / 2) / maxval) }
        return GreyImage(width: width, height: height, grey: grey)
    }

    /// The next decimal number after whitespace and comments, advancing `offset`; nil at the end.
    private static func headerNumber(_ bytes: [UInt8], _ offset: inout Int) throws -> Int? {
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "#") {
                while offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") { offset += 1 }
            } else if byte == 0x20 || (0x09...0x0D).contains(byte) {
                offset += 1
            } else {
                break
            }
        }
        var value = 0, digits = 0
        while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]), digits < 9 {
            value = value * 10 + Int(bytes[offset] - UInt8(ascii: "0"))
            offset += 1
            digits += 1
        }
        return digits == 0 ? nil : value
    }
}
