import Foundation

/// Counts the bad-input cases for scripts/test.sh: each case appends "held NAME" or
/// "broke NAME" to the file named by $BAD_INPUT_TALLY (nothing happens when it is unset).
public enum BadInputTally {
    private static let lock = NSLock()

    public static func record(_ name: String, held: Bool) {
        guard let path = ProcessInfo.processInfo.environment["BAD_INPUT_TALLY"], !path.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        let line = "\(held ? "held" : "broke") \(name)\n"
        if let handle = FileHandle(forWritingAtPath: path) {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: Data(line.utf8))
            try? handle.close()
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: Data(line.utf8))
        }
    }
}
