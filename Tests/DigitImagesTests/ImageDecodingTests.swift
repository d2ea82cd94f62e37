import Foundation
import Testing
@testable import DigitImages

/// PNG and PGM decoding, and every way an image file can be bad: each gets its own error.
@Suite struct ImageDecodingTests {
    /// A 5x3 ramp with every level distinct.
    private let ramp: [UInt8] = (0..<15).map { UInt8($0 * 17) }

    /// The CRC-32 of PNG chunks (zlib's polynomial), to craft headers libpng accepts.
    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private func bigEndian(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    @Test func pngRoundTripsGreyLevels() throws {
        let bytes = try #require(PNGCodec.encode(grey: ramp, width: 5, height: 3))
        let image = try ImageFile.decode(bytes, path: "ramp.png")
        #expect(image.width == 5 && image.height == 3)
        #expect(image.grey == ramp)
        #expect(!image.hasTransparency)
    }

    @Test func pgmBinaryPlainAndSixteenBitAgree() throws {
        let header = "P5\n# comment\n5 3\n255\n"
        let binary = try ImageFile.decode(Array(header.utf8) + ramp, path: "ramp.pgm")
        #expect(binary.grey == ramp && binary.width == 5 && binary.height == 3)
        let plain = "P2 5 3 255\n" + ramp.map(String.init).joined(separator: " ") + "\n"
        #expect(try ImageFile.decode(Array(plain.utf8), path: "ramp-plain.pgm").grey == ramp)
        // 16-bit: level × 257 over 65535 is the same grey.
        let wide = ramp.flatMap { bigEndian(UInt32($0) * 257).suffix(2) }
        #expect(try ImageFile.decode(Array("P5 5 3 65535\n".utf8) + wide, path: "wide.pgm").grey == ramp)
    }

    @Test func emptyUnknownAndTruncatedFilesAreNamed() throws {
        #expect(throws: ImageError.empty("a.png")) { try ImageFile.decode([], path: "a.png") }
        #expect(throws: ImageError.unknownFormat("a.jpg")) { try ImageFile.decode([0xFF, 0xD8, 0xFF, 0xE0], path: "a.jpg") }
        let png = try #require(PNGCodec.encode(grey: ramp, width: 5, height: 3))
        for cut in [8, 20, png.count - 13] {
            #expect(throws: ImageError.self) { try ImageFile.decode(Array(png.prefix(cut)), path: "cut.png") }
            do {
                _ = try ImageFile.decode(Array(png.prefix(cut)), path: "cut.png")
            } catch let error as ImageError {
                guard case .malformed(_, "PNG", let reason) = error else { Issue.record("\(error)"); continue }
                #expect(!reason.isEmpty)
            }
        }
        #expect(throws: ImageError.malformed("cut.pgm", format: "PGM", reason: "truncated: 10 of 15 data bytes")) {
            try ImageFile.decode(Array("P5 5 3 255\n".utf8) + ramp.prefix(10), path: "cut.pgm")
        }
        #expect(throws: ImageError.malformed("zero.pgm", format: "PGM", reason: "size 0x3")) {
            try ImageFile.decode(Array("P5 0 3 255\n".utf8), path: "zero.pgm")
        }
        #expect(throws: ImageError.malformed("bad.pgm", format: "PGM", reason: "a level above the maximum 9")) {
            try ImageFile.decode(Array("P2 1 1 9 12\n".utf8), path: "bad.pgm")
        }
    }

    @Test func hugeDimensionsAreRefusedBeforeDecoding() throws {
        // A valid PNG whose header claims 100000 x 100000 pixels (CRC recomputed).
        var png = try #require(PNGCodec.encode(grey: ramp, width: 5, height: 3))
        let header = Array("IHDR".utf8) + bigEndian(100_000) + bigEndian(100_000) + Array(png[24..<29])
        png.replaceSubrange(12..<29, with: header)
        png.replaceSubrange(29..<33, with: bigEndian(crc32(header)))
        #expect(throws: ImageError.tooLarge("huge.png", width: 100_000, height: 100_000, limit: ImageFile.pixelLimit)) {
            try ImageFile.decode(png, path: "huge.png")
        }
        #expect(throws: ImageError.tooLarge("huge.pgm", width: 100_000, height: 100_000, limit: ImageFile.pixelLimit)) {
            try ImageFile.decode(Array("P5 100000 100000 255\n".utf8), path: "huge.pgm")
        }
    }

    @Test func errorsAreOneLineSayingWhatToDo() {
        let errors: [ImageError] = [
            .unreadable("a", reason: "no such file"), .empty("a"), .unknownFormat("a"),
            .malformed("a", format: "PNG", reason: "x"), .tooLarge("a", width: 1, height: 1, limit: 1), .blank("a"),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"))
            #expect(error.description.contains(": "), "\(error) says what to do after a colon")
        }
    }
}
