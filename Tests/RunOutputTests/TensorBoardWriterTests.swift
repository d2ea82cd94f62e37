import Foundation
import Testing
@testable import RunOutput

/// The event-file encoding, checked byte by byte where the format is fixed and by decoding
/// where it is not. TensorBoard's own reader checks the files of a real run in
/// scripts/observability/tensorboard-test.sh.
@Suite struct TensorBoardWriterTests {
    private func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "tensorboard-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func crc32cMatchesPublishedCheckValues() {
        // The CRC-32C check value (RFC 3720 and every CRC catalogue), and iSCSI's test vectors.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0...31)) == 0x46DD_794E)
    }

    @Test func recordFramingRoundTripsAndStopsAtDamage() {
        var bytes: [UInt8] = []
        let payloads: [[UInt8]] = [[], [1, 2, 3], Array(repeating: 7, count: 300)]
        for payload in payloads { TFRecord.append(payload, to: &bytes) }
        #expect(bytes.count == payloads.reduce(0) { $0 + 16 + $1.count })
        let whole = TFRecord.records(in: bytes)
        #expect(whole.payloads == payloads && whole.validBytes == bytes.count)
        // A record cut short (a killed writer) and a flipped payload byte end the valid part.
        let cut = TFRecord.records(in: Array(bytes.dropLast(5)))
        #expect(cut.payloads == Array(payloads.prefix(2)))
        var flipped = bytes
        flipped[16 + 12] ^= 1  // the second record's first payload byte
        #expect(TFRecord.records(in: flipped).payloads == [[]])
    }

    @Test func scalarEventsEncodeAsTensorFlowWritesThem() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let writer = try TensorBoardWriter(directory: folder)
        writer.scalar(.init("a"), 0.5, step: 300, wallTime: 2)
        try writer.check()
        let data = try #require(FileManager.default.contents(atPath: writer.path))
        let records = TFRecord.records(in: [UInt8](data)).payloads
        try #require(records.count == 2)
        #expect(String(decoding: records[0].suffix(13), as: UTF8.self) == "brain.Event:2")
        // Event { wall_time 2.0, step 300, summary { value { tag "a", simple_value 0.5 } } }
        let expected: [UInt8] = [0x09] + [0, 0, 0, 0, 0, 0, 0, 0x40] + [0x10, 0xAC, 0x02]
            + [0x2A, 10, 0x0A, 8, 0x0A, 1, 0x61, 0x15, 0, 0, 0, 0x3F]
        #expect(records[1] == expected)
        #expect(TensorBoardWriter.eventStep(records[1]) == 300)
    }

    @Test func resumingDropsTheEventsPastTheCheckpointOnly() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try TensorBoardWriter(directory: folder)
        for step in 1...10 { first.scalar(.init("cost"), Double(step), step: step) }
        let firstPath = first.path
        // A killed writer leaves half a record behind.
        let handle = try #require(FileHandle(forWritingAtPath: firstPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([9, 0, 0, 0, 0, 0, 0]))
        try handle.close()
        usleep(1_100_000)  // the next file's name has a later second
        let resumed = try TensorBoardWriter(directory: folder, resumingAfter: 6)
        resumed.scalar(.init("cost"), 7, step: 7)
        let old = TFRecord.records(in: [UInt8](try #require(FileManager.default.contents(atPath: firstPath))))
        #expect(old.payloads.compactMap(TensorBoardWriter.eventStep) == [0, 1, 2, 3, 4, 5, 6])
        let new = TFRecord.records(in: [UInt8](try #require(FileManager.default.contents(atPath: resumed.path))))
        // file_version at the resume step, SessionLog START one past it, then step 7.
        #expect(new.payloads.compactMap(TensorBoardWriter.eventStep) == [6, 7, 7])
        #expect(try TensorBoardWriter.dropEvents(after: 7, in: folder) == 0)
    }

    @Test func anUnwritableFolderIsOneClearError() throws {
        let error = try #require(throws: OutputError.self) {
            _ = try TensorBoardWriter(directory: "/proc/no-such-folder/tb")
        }
        #expect(error.description.contains("/proc/no-such-folder/tb") && error.description.contains("choose a writable path"))
    }
}
