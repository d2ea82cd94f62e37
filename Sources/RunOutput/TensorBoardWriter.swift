import Foundation

/// Writes TensorBoard event files (`events.out.tfevents.*` in a log folder): TFRecord-framed
/// `Event` messages holding scalar `Summary` values, the format `tf.summary` and
/// `torch.utils.tensorboard` write, read by TensorBoard's own loader.
///
/// The x axis of every curve is the optimizer step (1-based: the value after step n is at n).
/// Per-step scalars go through reusable buffers and one `write(2)`: no allocation per step once
/// the buffers have grown. A run resumed from a checkpoint drops the events its earlier runs
/// wrote past the checkpoint (they are redone), so the curves continue without duplicated steps.
public final class TensorBoardWriter {
    /// A scalar's name, encoded once.
    public struct Tag {
        let bytes: [UInt8]
        public init(_ name: String) { bytes = Array(name.utf8) }
    }

    public let path: String
    private let descriptor: Int32
    private var event: [UInt8] = []
    private var values: [UInt8] = []
    private var record: [UInt8] = []
    private var failure: OutputError?

    /// Creates the folder if needed and a new event file in it (name as TensorFlow's:
    /// `events.out.tfevents.<seconds>.<host>.<pid>.0`), starting with the `file_version` event.
    ///
    /// - Parameters:
    ///   - directory: the log folder (`tensorboard --logdir` takes it or its parent).
    ///   - resumingAfter: the optimizer step a resumed run continues after; events past it in
    ///     the folder's earlier files are dropped (nil: a new run).
    /// - Throws: `OutputError.cannotWrite` naming the folder or file.
    public init(directory: String, resumingAfter step: Int? = nil) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OutputError.cannotWrite(path: directory, reason: "cannot create the folder (\(error.localizedDescription))")
        }
        if let step { try TensorBoardWriter.dropEvents(after: step, in: directory) }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let now = Date().timeIntervalSince1970
        path = "\(directory)/events.out.tfevents.\(Int(now)).\(hostName).\(getpid()).0"
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        event.reserveCapacity(512)
        values.reserveCapacity(512)
        record.reserveCapacity(1024)
        // The first event names the format version. A resumed run also marks its restart
        // (SessionLog START), as TensorFlow's writers do; TensorBoard purges the events at and
        // past a START's step, so it is put one past the last step kept.
        event.removeAll(keepingCapacity: true)
        appendHeader(wallTime: now, step: Int64(step ?? 0))
        event.append(ProtobufEncoding.key(3, ProtobufEncoding.lengthDelimited))
        let version = Array("brain.Event:2".utf8)
        ProtobufEncoding.appendVarint(UInt64(version.count), to: &event)
        event.append(contentsOf: version)
        writeEvent()
        if step != nil {
            event.removeAll(keepingCapacity: true)
            appendHeader(wallTime: now, step: Int64(step ?? 0) + 1)
            event.append(contentsOf: [ProtobufEncoding.key(6, ProtobufEncoding.lengthDelimited), 2, 0x08, 1])
            writeEvent()
        }
        if let failure { throw failure }
    }

    deinit {
        close(descriptor)
    }

    /// Writes one event at `step` holding every `(tag, value)` (non-finite values are kept: they
    /// show where a run went wrong). A write error is kept and thrown by `check()`.
    public func scalars(_ scalars: [(Tag, Double)], step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        values.removeAll(keepingCapacity: true)
        for (tag, value) in scalars { appendValue(tag, Float(value)) }
        writeSummaryEvent(step: step, wallTime: wallTime)
    }

    /// Writes one scalar at `step` (the per-step path: no allocation once the buffers have grown).
    public func scalar(_ tag: Tag, _ value: Double, step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        values.removeAll(keepingCapacity: true)
        appendValue(tag, Float(value))
        writeSummaryEvent(step: step, wallTime: wallTime)
    }

    /// Throws the first write error since the file was opened.
    public func check() throws {
        if let failure { throw failure }
    }

    // MARK: - Encoding

    private func appendHeader(wallTime: Double, step: Int64) {
        event.append(ProtobufEncoding.key(1, ProtobufEncoding.fixed64))
        LittleEndian.append(wallTime.bitPattern, to: &event)
        event.append(ProtobufEncoding.key(2, ProtobufEncoding.varint))
        ProtobufEncoding.appendVarint(UInt64(bitPattern: step), to: &event)
    }

    /// Summary.value (field 1): Value { tag (1), simple_value (2, float) }.
    private func appendValue(_ tag: Tag, _ value: Float) {
        let valueSize = 1 + ProtobufEncoding.varintSize(UInt64(tag.bytes.count)) + tag.bytes.count + 5
        values.append(ProtobufEncoding.key(1, ProtobufEncoding.lengthDelimited))
        ProtobufEncoding.appendVarint(UInt64(valueSize), to: &values)
        values.append(ProtobufEncoding.key(1, ProtobufEncoding.lengthDelimited))
        ProtobufEncoding.appendVarint(UInt64(tag.bytes.count), to: &values)
        values.append(contentsOf: tag.bytes)
        values.append(ProtobufEncoding.key(2, ProtobufEncoding.fixed32))
        LittleEndian.append(value.bitPattern, to: &values)
    }

    /// Event { wall_time (1), step (2), summary (5) }.
    private func writeSummaryEvent(step: Int, wallTime: Double) {
        event.removeAll(keepingCapacity: true)
        appendHeader(wallTime: wallTime, step: Int64(step))
        event.append(ProtobufEncoding.key(5, ProtobufEncoding.lengthDelimited))
        ProtobufEncoding.appendVarint(UInt64(values.count), to: &event)
        event.append(contentsOf: values)
        writeEvent()
    }

    private func writeEvent() {
        record.removeAll(keepingCapacity: true)
        TFRecord.append(event, to: &record)
        guard failure == nil else { return }
        let written = record.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written != record.count {
            failure = .cannotWrite(path: path, reason: written < 0 ? String(cString: strerror(errno)) : "short write")
        }
    }

    // MARK: - Resuming

    /// Rewrites the event files in `directory` without the events past `step` (and without a
    /// record cut short by a killed writer). Files that need no change are left alone; each
    /// rewrite is atomic (a temporary file renamed over the old one).
    ///
    /// - Returns: how many events were dropped.
    /// - Throws: `OutputError.cannotWrite` when a file cannot be read or replaced.
    @discardableResult
    public static func dropEvents(after step: Int, in directory: String) throws -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var dropped = 0
        for name in names.sorted() where name.contains(".tfevents.") && !name.hasSuffix(".tmp") {
            let file = "\(directory)/\(name)"
            guard let data = FileManager.default.contents(atPath: file) else {
                throw OutputError.cannotWrite(path: file, reason: "cannot read it to drop the events past step \(step)")
            }
            let bytes = [UInt8](data)
            let (payloads, validBytes) = TFRecord.records(in: bytes)
            let kept = payloads.filter { (eventStep($0) ?? 0) <= step }
            guard kept.count != payloads.count || validBytes != bytes.count else { continue }
            dropped += payloads.count - kept.count
            var output: [UInt8] = []
            for payload in kept { TFRecord.append(payload, to: &output) }
            do { try Data(output).write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
                throw OutputError.cannotWrite(path: file, reason: error.localizedDescription)
            }
        }
        return dropped
    }

    /// An encoded Event's `step` (field 2), or nil when it has none or is malformed.
    public static func eventStep(_ event: [UInt8]) -> Int? {
        var offset = 0
        while offset < event.count {
            guard let key = ProtobufEncoding.readVarint(event, &offset) else { return nil }
            switch key & 7 {
            case UInt64(ProtobufEncoding.varint):
                guard let value = ProtobufEncoding.readVarint(event, &offset) else { return nil }
                if key >> 3 == 2 { return Int(truncatingIfNeeded: Int64(bitPattern: value)) }
            case UInt64(ProtobufEncoding.fixed64): offset += 8
            case UInt64(ProtobufEncoding.fixed32): offset += 4
            case UInt64(ProtobufEncoding.lengthDelimited):
                guard let length = ProtobufEncoding.readVarint(event, &offset), length <= UInt64(event.count - offset)
                else { return nil }
                offset += Int(length)
            default: return nil
            }
        }
        return nil
    }
}
