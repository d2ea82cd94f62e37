import Foundation
import NeuralNet
import RunOutput

/// Reads and writes checkpoints:
/// `magic "MNMPICKP" | format version u32 | header length u32 | header JSON |
///  parameters, first moment, second moment[, PowerSGD state] as float32 |
///  FNV-1a 64 checksum of all before`,
/// little-endian. Writes are atomic: a temporary file beside the target, fsync, rename, fsync
/// of the folder, so a crash leaves the old checkpoint or the new one, never half of one.
public enum CheckpointFile {
    public static let magic = Array("MNMPICKP".utf8)
    public static let formatVersion: UInt32 = 1

    static let headerEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    /// The file's bytes for `checkpoint`.
    public static func encode(_ checkpoint: Checkpoint) throws -> [UInt8] {
        let header = try Array(headerEncoder.encode(checkpoint.header))
        var bytes = magic
        bytes.reserveCapacity(64 + header.count
            + 4 * (checkpoint.parameters.count + checkpoint.firstMoment.count + checkpoint.secondMoment.count
                + checkpoint.compressionState.count))
        LittleEndian.append(formatVersion, to: &bytes)
        LittleEndian.append(UInt32(header.count), to: &bytes)
        bytes += header
        for values in [checkpoint.parameters, checkpoint.firstMoment, checkpoint.secondMoment, checkpoint.compressionState] {
            values.withUnsafeBytes { bytes += $0 }  // float32, little-endian on every supported host
        }
        LittleEndian.append(fnv1a64(bytes), to: &bytes)
        return bytes
    }

    /// Parses and validates a checkpoint file's bytes.
    ///
    /// - Throws: `CheckpointError` naming what is wrong.
    public static func decode(_ bytes: [UInt8], path: String) throws -> Checkpoint {
        guard bytes.count >= magic.count + 8 + 8, Array(bytes.prefix(magic.count)) == magic else {
            throw CheckpointError.notACheckpoint(path)
        }
        let version = LittleEndian.read(UInt32.self, bytes, at: magic.count)
        guard version == formatVersion else {
            throw CheckpointError.wrongVersion(path, found: Int(version), expected: Int(formatVersion))
        }
        let stored = LittleEndian.read(UInt64.self, bytes, at: bytes.count - 8)
        guard stored == fnv1a64(bytes[0..<(bytes.count - 8)]) else {
            throw CheckpointError.corrupt(path, reason: "checksum mismatch (truncated or damaged)")
        }
        let headerLength = Int(LittleEndian.read(UInt32.self, bytes, at: magic.count + 4))
        let headerStart = magic.count + 8
        guard headerStart + headerLength <= bytes.count - 8 else {
            throw CheckpointError.corrupt(path, reason: "header runs past the end")
        }
        let header: Checkpoint.Header
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            header = try decoder.decode(
                Checkpoint.Header.self, from: Data(bytes[headerStart..<(headerStart + headerLength)]))
        } catch {
            throw CheckpointError.corrupt(path, reason: "unreadable header")
        }
        try validate(header, path: path)
        let counts = [
            header.parameterCount, header.firstMomentCount, header.secondMomentCount, header.reducerSection?.count ?? 0,
        ]
        var offset = headerStart + headerLength
        // Each count is bounded by `validate` (the state by maximumCompressionState): no overflow.
        guard offset + 4 * counts.reduce(0, +) == bytes.count - 8 else {
            throw CheckpointError.corrupt(path, reason: "payload size does not match the header")
        }
        var arrays: [[Float]] = []
        for count in counts {
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { target in
                bytes.withUnsafeBytes { source in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + 4 * count)]))
                }
            }
            arrays.append(values)
            offset += 4 * count
        }
        return Checkpoint(
            header: header, parameters: arrays[0], firstMoment: arrays[1], secondMoment: arrays[2],
            compressionState: arrays[3])
    }

    /// The largest parameter count a header may name (far above any model the options allow,
    /// far below what would overflow the size arithmetic).
    static let maximumParameterCount = 1 << 34
    /// The most ranks and state floats a PowerSGD state may claim.
    static let maximumStateRanks = 1 << 20
    static let maximumCompressionState = 1 << 36

    /// Checks what a crafted header could otherwise turn into a crash: the layer sizes (what
    /// `TrainingConfiguration.validate` allows: an input, up to its hidden-layer limit, an
    /// output, each no wider than its width limit), the parameter count they imply
    /// (computed with overflow checks) against the one the header states, the moment counts
    /// (none, or one per parameter) and the position (non-negative).
    ///
    /// - Throws: `CheckpointError.corrupt` naming the first inconsistency.
    static func validate(_ header: Checkpoint.Header, path: String) throws {
        func corrupt(_ reason: String) -> CheckpointError { .corrupt(path, reason: reason) }
        let sizes = header.layerSizes
        let limits = TrainingConfiguration.limits
        let layers = 2...(limits.hiddenLayers + 2)
        guard layers.contains(sizes.count), sizes.allSatisfy({ (1...limits.width).contains($0) }) else {
            throw corrupt("layer sizes \(sizes) are not a model (\(layers.lowerBound) to \(layers.upperBound) widths of 1 to \(limits.width))")
        }
        var implied = 0
        for (inputs, outputs) in zip(sizes, sizes.dropFirst()) where header.model == nil {
            let (weights, overflow1) = inputs.multipliedReportingOverflow(by: outputs)
            let (layer, overflow2) = weights.addingReportingOverflow(outputs)
            let (total, overflow3) = implied.addingReportingOverflow(layer)
            guard !overflow1, !overflow2, !overflow3, total <= maximumParameterCount else {
                throw corrupt("layer sizes \(sizes) imply more than \(maximumParameterCount) parameters")
            }
            implied = total
        }
        let layout: NetworkLayout
        do {
            layout = try header.layout()
        } catch {
            throw corrupt("its model \(header.model ?? "") is not one: \(error.message)")
        }
        if header.model != nil {
            guard layout.sizes == sizes else {
                throw corrupt("layer sizes \(sizes) are not those of its model \(header.model ?? "") (\(layout.sizes))")
            }
            implied = layout.parameterCount
        }
        guard header.parameterCount == implied else {
            throw corrupt("the header names \(header.parameterCount) parameters, but layer sizes \(sizes) have \(implied)")
        }
        for count in [header.firstMomentCount, header.secondMomentCount] where count != 0 && count != implied {
            throw corrupt("an optimizer state of \(count) values for \(implied) parameters")
        }
        if let section = header.reducerSection, section.count != 0 {
            guard section.count > 0, section.count <= maximumCompressionState else {
                throw corrupt("a reducer state of \(section.count) values")
            }
            guard let check = GradientReducers.stateLayouts[section.name] else {
                throw corrupt("a reducer state named \(section.name), which no reducer of this version writes")
            }
            if let problem = check(section, header.ranks, layout) { throw corrupt(problem) }
        }
        guard header.nextEpoch >= 0, header.nextStep >= 0, header.optimizerSteps >= 0, header.ranks >= 1,
              header.partialLoss.isFinite else {
            throw corrupt("a negative or non-finite position (epoch \(header.nextEpoch), step \(header.nextStep))")
        }
    }

    /// Reads the checkpoint at `path`.
    ///
    /// - Throws: `CheckpointError` naming the file and the problem.
    public static func read(path: String) throws -> Checkpoint {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError.missing(path)
        }
        guard !isDirectory.boolValue else { throw CheckpointError.unreadable(path, reason: "it is a folder") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.unreadable(path, reason: String(cString: strerror(errno)))
        }
        return try decode(Array(data), path: path)
    }

    /// Writes `checkpoint` to `path` atomically.
    ///
    /// - Throws: `CheckpointError.unwritable` naming the path; the old file is then untouched.
    public static func write(_ checkpoint: Checkpoint, to path: String) throws {
        try writeAtomically(try encode(checkpoint), to: path)
    }

    /// Checks that a checkpoint can be written at `path` (the folder exists and is writable,
    /// the path is no folder) by writing and removing a temporary file beside it.
    public static func checkWritable(_ path: String) throws {
        if let reason = writeProbeFailure(path) { throw CheckpointError.unwritable(path, reason: reason) }
    }

    private static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = temporaryPath(for: path)
        func fail(_ reason: String) -> CheckpointError {
            unlink(temporary)
            return CheckpointError.unwritable(path, reason: reason)
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw fail(String(cString: strerror(errno))) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Foundation.write(descriptor, raw.baseAddress.map { $0 + written }, bytes.count - written)
            }
            guard result > 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw fail(reason)
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw fail(reason)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw fail(String(cString: strerror(errno))) }
        let folder = open((path as NSString).deletingLastPathComponent.isEmpty
            ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    /// Unique per host and process: with one copy per node on a shared folder, several nodes
    /// may write the same path at once (each renames its own file over it).
    private static func temporaryPath(for path: String) -> String {
        var host = [CChar](repeating: 0, count: 64)
        gethostname(&host, host.count - 1)
        return "\(path).tmp-\(String(cString: host))-\(getpid())"
    }
}
