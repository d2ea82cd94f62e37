import Foundation
import TestSupport
import Testing
@testable import MNISTData

@Suite struct IDXParsingTests {
    @Test(arguments: [false, true])
    func readsARangeOfPlainAndGzipFiles(gzip: Bool) throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.writeTrainSplit(count: 50, gzip: gzip)
        let source = try MNISTSource(directory: fixtures.directory, split: .train)
        #expect(source.count == 50)
        #expect(source.pixelsPerImage == 784)
        let shard = try source.load(range: 20..<35)
        #expect(shard.count == 15)
        #expect(shard.firstIndex == 20)
        #expect(shard.pixels.count == 15 * 784)
        for i in 0..<15 {
            #expect(shard.pixels[i * 784] == UInt8(20 + i))
            #expect(shard.pixels[i * 784 + 783] == UInt8(20 + i))
            #expect(shard.labels[i] == UInt8((20 + i) % 10))
        }
    }

    @Test func missingFolder() {
        #expect(throws: MNISTDataError.directoryNotFound("/no/such/folder")) {
            try MNISTSource(directory: "/no/such/folder", split: .train)
        }
    }

    @Test func missingFile() throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.write("train-images-idx3-ubyte", IDXFixtures.images(count: 5))
        let error = try #require(throws: MNISTDataError.self) {
            try MNISTSource(directory: fixtures.directory, split: .train)
        }
        guard case .fileNotFound(_, let names) = error else { Issue.record("got \(error)"); return }
        #expect(names.first == "train-labels-idx1-ubyte")
    }

    /// Found by scripts/fuzz.sh: dimensions whose product overflows Int passed the size check
    /// (it kept the overflowed partial value) and then trapped. Now: one error, no trap.
    @Test func dimensionsWhoseProductOverflowsAreRefused() throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        // magic 0x803, dimensions 0xfffffffc x 0x803fffff x 0xfffcfefe, then 4 stray bytes: the crash input.
        let bytes: [UInt8] = [0, 0, 8, 3, 0xff, 0xff, 0xff, 0xfc, 0x80, 0x3f, 0xff, 0xff, 0xff, 0xfc, 0xfe, 0xfe, 0x24]
        let path = try fixtures.write("crafted", bytes)
        #expect {
            _ = try IDXFile.readItems(path: path, dimensionCount: 3, range: 0..<1)
        } throws: { error in
            "\(error)".contains("implausibly large")
        }
    }

    @Test func badMagicNumber() throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.writeTrainSplit(count: 5)
        let path = try fixtures.write("train-images-idx3-ubyte",
                                      IDXFixtures.idx(dimensions: [5, 28, 28], data: [UInt8](repeating: 0, count: 5 * 784), magic: 0x0000_0801))
        #expect(throws: MNISTDataError.badMagic(path, found: 0x0801, expected: 0x0803)) {
            try MNISTSource(directory: fixtures.directory, split: .train)
        }
    }

    @Test(arguments: [false, true])
    func truncatedFile(gzip: Bool) throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.writeTrainSplit(count: 10)
        var images = IDXFixtures.images(count: 10)
        images.removeLast(500)
        try fixtures.write("train-images-idx3-ubyte", images, gzip: gzip)
        let source = try MNISTSource(directory: fixtures.directory, split: .train)
        // Even the first rank, which reads only the start of the file, notices.
        let error = try #require(throws: MNISTDataError.self) { try source.load(range: 0..<2) }
        guard case .truncated = error else { Issue.record("got \(error)"); return }
    }

    @Test func truncatedGzipStream() throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.writeTrainSplit(count: 10, gzip: true)
        let path = fixtures.path("train-images-idx3-ubyte.gz")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(throws: MNISTDataError.self) {
            try MNISTSource(directory: fixtures.directory, split: .train).load(range: 0..<10)
        }
    }

    @Test func corruptGzip() throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.writeTrainSplit(count: 10, gzip: true)
        let path = fixtures.path("train-images-idx3-ubyte.gz")
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for i in 30..<(data.count - 8) { data[i] ^= 0x5a }
        try data.write(to: URL(fileURLWithPath: path))
        #expect(throws: MNISTDataError.self) {
            try MNISTSource(directory: fixtures.directory, split: .train).load(range: 0..<10)
        }
    }

    @Test func labelCountDiffersFromImageCount() throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.write("train-images-idx3-ubyte", IDXFixtures.images(count: 10))
        try fixtures.write("train-labels-idx1-ubyte", IDXFixtures.labels(count: 9))
        let error = try #require(throws: MNISTDataError.self) {
            try MNISTSource(directory: fixtures.directory, split: .train)
        }
        guard case .countMismatch(_, 10, _, 9) = error else { Issue.record("got \(error)"); return }
    }

    @Test func labelAboveNine() throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.writeTrainSplit(count: 10)
        var labels = (0..<10).map { UInt8($0 % 10) }
        labels[7] = 12
        let path = try fixtures.write("train-labels-idx1-ubyte", IDXFixtures.idx(dimensions: [10], data: labels))
        let source = try MNISTSource(directory: fixtures.directory, split: .train)
        #expect(throws: MNISTDataError.labelOutOfRange(path, index: 7, label: 12, classes: 10)) {
            try source.load(range: 0..<10)
        }
        // A shard that does not hold the bad label loads.
        #expect(try source.load(range: 0..<5).count == 5)
    }

    @Test func folderWhereAFileIsExpected() throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.write("train-labels-idx1-ubyte", IDXFixtures.labels(count: 3))
        try FileManager.default.createDirectory(atPath: fixtures.path("train-images-idx3-ubyte"), withIntermediateDirectories: false)
        #expect(throws: MNISTDataError.notAFile(fixtures.path("train-images-idx3-ubyte"))) {
            try MNISTSource(directory: fixtures.directory, split: .train)
        }
    }

    @Test func zeroDimensionAndOutOfRangeRequests() throws {
        let fixtures = try IDXFixtures()
        defer { fixtures.remove() }
        try fixtures.write("train-images-idx3-ubyte", IDXFixtures.idx(dimensions: [0, 28, 28], data: []))
        try fixtures.write("train-labels-idx1-ubyte", IDXFixtures.labels(count: 3))
        let error = try #require(throws: MNISTDataError.self) {
            try MNISTSource(directory: fixtures.directory, split: .train)
        }
        guard case .badDimensions = error else { Issue.record("got \(error)"); return }

        try fixtures.writeTrainSplit(count: 4)
        let source = try MNISTSource(directory: fixtures.directory, split: .train)
        #expect(throws: MNISTDataError.self) { try source.load(range: 2..<9) }
    }

    @Test func everyErrorIsOneLineNamingWhatToDo() {
        let errors: [MNISTDataError] = [
            .directoryNotFound("d"), .fileNotFound(directory: "d", names: ["a", "a.gz"]), .notAFile("f"),
            .badMagic("f", found: 1, expected: 0x803), .truncated("f", reason: "r"), .corrupt("f", reason: "r"),
            .countMismatch(images: "i", imageCount: 1, labels: "l", labelCount: 2),
            .labelOutOfRange("f", index: 1, label: 11, classes: 10),
            .shardTooSmall(examples: 10, ranks: 3, batchSize: 4), .invalidBatchSize(0),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"))
            #expect(error.description.count > 20)
        }
    }
}
