import Foundation

/// The files rank 0 writes: opened (and so checked) before training starts, so that a bad path
/// fails in the first second rather than after the last epoch.
public final class OutputFiles {
    private let summaryPath: String?
    private let metrics: FileHandle?
    private let metricsPath: String?

    /// Creates (truncates) the summary file and the metrics file (appended to when
    /// `appendMetrics`, for a resumed run).
    ///
    /// - Throws: `OutputError.cannotWrite` naming the path.
    public init(summaryPath: String?, metricsPath: String?, appendMetrics: Bool = false) throws {
        self.summaryPath = summaryPath
        self.metricsPath = metricsPath
        // The summary is written atomically at the end; here only check that it can be, so a
        // failed run leaves an earlier summary alone.
        if let summaryPath, let reason = writeProbeFailure(summaryPath) {
            throw OutputError.cannotWrite(path: summaryPath, reason: reason)
        }
        if let metricsPath {
            try OutputFiles.create(metricsPath, truncate: !appendMetrics)
            metrics = FileHandle(forWritingAtPath: metricsPath)
            _ = try? metrics?.seekToEnd()
        } else {
            metrics = nil
        }
    }

    deinit {
        try? metrics?.close()
    }

    /// Appends one JSON line to the metrics file.
    public func appendMetrics(_ line: EpochMetrics) throws {
        guard let metrics, let metricsPath else { return }
        var data = try OutputFiles.encoder(pretty: false).encode(line)
        data.append(0x0A)
        do { try metrics.write(contentsOf: data) } catch {
            throw OutputError.cannotWrite(path: metricsPath, reason: error.localizedDescription)
        }
    }

    /// Writes the summary file (atomically: a temporary file renamed into place), pretty-printed
    /// JSON with snake_case keys.
    public func writeSummary<Summary: Encodable>(_ summary: Summary) throws {
        guard let summaryPath else { return }
        var data = try OutputFiles.encoder(pretty: true).encode(summary)
        data.append(0x0A)
        do { try data.write(to: URL(fileURLWithPath: summaryPath), options: .atomic) } catch {
            throw OutputError.cannotWrite(path: summaryPath, reason: error.localizedDescription)
        }
    }

    private static func create(_ path: String, truncate: Bool) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw OutputError.cannotWrite(path: path, reason: "it is a folder")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : 0), 0o644)
        guard descriptor >= 0 else {
            throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        close(descriptor)
    }

    private static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return encoder
    }
}
