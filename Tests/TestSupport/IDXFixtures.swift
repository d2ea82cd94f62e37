import Foundation

/// Writes small IDX files (and broken variants) into a fresh temporary folder for a test.
public struct IDXFixtures {
    public let directory: String

    public init() throws {
        directory = NSTemporaryDirectory() + "mnist-idx-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// The bytes of an IDX file of unsigned bytes: magic 0x000008NN, dimensions, data.
    public static func idx(dimensions: [Int], data: [UInt8], magic: UInt32? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        func appendBigEndian(_ value: UInt32) {
            bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
        }
        appendBigEndian(magic ?? (0x0800 | UInt32(dimensions.count)))
        dimensions.forEach { appendBigEndian(UInt32($0)) }
        return bytes + data
    }

    /// Image `i` has every pixel equal to `i`, label `i % 10`.
    public static func images(count: Int, rows: Int = 28, columns: Int = 28) -> [UInt8] {
        idx(dimensions: [count, rows, columns],
            data: (0..<count).flatMap { [UInt8](repeating: UInt8($0 % 256), count: rows * columns) })
    }

    public static func labels(count: Int) -> [UInt8] {
        idx(dimensions: [count], data: (0..<count).map { UInt8($0 % 10) })
    }

    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8], gzip: Bool = false) throws -> String {
        let target = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        if gzip {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gzip", "-f", target]
            try process.run()
            process.waitUntilExit()
            return target + ".gz"
        }
        return target
    }

    /// A valid train split of `count` examples, plain or gzipped.
    public func writeTrainSplit(count: Int, gzip: Bool = false) throws {
        try write("train-images-idx3-ubyte", IDXFixtures.images(count: count), gzip: gzip)
        try write("train-labels-idx1-ubyte", IDXFixtures.labels(count: count), gzip: gzip)
    }

    /// A valid test split of `count` examples.
    public func writeTestSplit(count: Int) throws {
        try write("t10k-images-idx3-ubyte", IDXFixtures.images(count: count))
        try write("t10k-labels-idx1-ubyte", IDXFixtures.labels(count: count))
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
