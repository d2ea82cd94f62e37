import CZlib
import Foundation

/// A sequential reader over a plain or gzip-compressed file (zlib's gzopen/gzread), turning
/// every failure into an `MNISTDataError` that names the file.
final class GzipReader {
    private let path: String
    private let handle: gzFile
    private let isCompressed: Bool
    private let fileSize: Int

    /// Opens `path`, after checking that it exists, is a regular file and is readable.
    init(path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw MNISTDataError.unreadable(path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw MNISTDataError.notAFile(path) }
        guard access(path, R_OK) == 0 else {
            throw MNISTDataError.unreadable(path, reason: String(cString: strerror(errno)))
        }
        guard let handle = gzopen(path, "rb") else {
            throw MNISTDataError.unreadable(path, reason: String(cString: strerror(errno)))
        }
        gzbuffer(handle, 1 << 17)
        self.path = path
        self.handle = handle
        self.fileSize = Int(status.st_size)
        self.isCompressed = GzipReader.hasGzipMagic(path)
    }

    func close() {
        gzclose_r(handle)
    }

    /// Fills `bytes` completely from the current position.
    ///
    /// - Parameter what: what is being read, for the truncation message.
    func read(into bytes: inout [UInt8], what: String = "the data") throws {
        let wanted = bytes.count
        var done = 0
        try bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            while done < wanted {
                let chunk = UInt32(min(wanted - done, 1 << 30))
                let got = gzread(handle, base + done, chunk)
                if got < 0 { throw MNISTDataError.corrupt(path, reason: errorMessage()) }
                if got == 0 {
                    let reason = "ended inside \(what), \(wanted - done) bytes short"
                    throw MNISTDataError.truncated(path, reason: reason)
                }
                done += Int(got)
            }
        }
    }

    /// Reads and discards `count` bytes (decompression cannot jump ahead).
    func skip(_ count: Int) throws {
        var remaining = count
        var scratch = [UInt8](repeating: 0, count: min(count, 1 << 16))
        while remaining > 0 {
            if scratch.count > remaining { scratch = [UInt8](repeating: 0, count: remaining) }
            try read(into: &scratch)
            remaining -= scratch.count
        }
    }

    /// Checks that the file holds exactly `expected` bytes of (uncompressed) content, so that a
    /// truncated file is caught by every rank, not only by the rank reading its end.
    ///
    /// Plain files: the size on disk. Gzip files: the ISIZE trailer (length mod 2³²).
    func checkLength(expected: Int) throws {
        if !isCompressed {
            guard fileSize == expected else {
                let reason = "\(fileSize) bytes, the header promises \(expected)"
                throw fileSize < expected
                    ? MNISTDataError.truncated(path, reason: reason)
                    : MNISTDataError.corrupt(path, reason: reason)
            }
            return
        }
        guard let trailer = GzipReader.trailerSize(path, fileSize: fileSize),
              trailer == UInt32(truncatingIfNeeded: expected)
        else {
            let reason = "its gzip trailer does not match the \(expected) bytes the header promises"
            throw MNISTDataError.truncated(path, reason: reason)
        }
    }

    private func errorMessage() -> String {
        var code: Int32 = 0
        guard let text = gzerror(handle, &code) else { return "zlib error" }
        return "zlib: \(String(cString: text))"
    }

    private static func hasGzipMagic(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 2)) ?? Data()
        return head.count == 2 && head[head.startIndex] == 0x1f && head[head.startIndex + 1] == 0x8b
    }

    private static func trailerSize(_ path: String, fileSize: Int) -> UInt32? {
        guard fileSize >= 18, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(fileSize - 4))) != nil,
              let tail = try? handle.read(upToCount: 4), tail.count == 4
        else { return nil }
        return tail.reversed().reduce(0) { ($0 << 8) | UInt32($1) }
    }
}
