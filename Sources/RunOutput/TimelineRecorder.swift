/// One span of a rank's timeline: what ran, in which step, from when to when (seconds since
/// the rank's clock origin).
public struct TimelineSpan: Equatable, Sendable {
    public enum Kind: UInt8, CaseIterable, Sendable {
        /// Batch assembly, forward and backward.
        case compute
        /// The step's gradient allreduce as this rank saw it (split into `wait` and `transfer`
        /// when every rank's spans are known).
        case allreduce
        /// The optimizer update.
        case optimizer
        /// A test-set evaluation.
        case evaluate
        /// A checkpoint write (rank 0) and its agreement.
        case checkpoint
        /// Inside the allreduce, until the slowest rank arrived.
        case wait
        /// Inside the allreduce, after every rank arrived.
        case transfer

        public var name: String {
            switch self {
            case .compute: return "forward+backward"
            case .allreduce: return "allreduce"
            case .optimizer: return "optimizer step"
            case .evaluate: return "evaluate"
            case .checkpoint: return "checkpoint"
            case .wait: return "allreduce: wait for slowest rank"
            case .transfer: return "allreduce: transfer"
            }
        }
    }

    public var kind: Kind
    public var epoch: Int
    public var step: Int
    public var start: Double
    public var end: Double

    public init(kind: Kind, epoch: Int, step: Int, start: Double, end: Double) {
        self.kind = kind
        self.epoch = epoch
        self.step = step
        self.start = start
        self.end = end
    }
}

/// Records one rank's spans for `--timeline` into arrays made at start (no allocation per
/// step): the first `stepLimit` steps, three spans each, and the evaluations and checkpoints
/// among them. Times are kept relative to `origin`, the rank's clock reading right after a
/// barrier that all ranks left together, which is how ranks' clocks are aligned.
public final class TimelineRecorder {
    /// Doubles per packed span: kind, epoch, step, start, end.
    static let fieldsPerSpan = 5

    public let origin: Double
    public let stepLimit: Int
    private let capacity: Int
    private var packedSpans: [Double]
    private var count = 0
    private var stepsRecorded = 0

    /// - Parameters:
    ///   - origin: the wall time (seconds) all ranks share as their zero.
    ///   - stepLimit: steps to record (each adds 3 spans).
    ///   - otherSpans: room for evaluations and checkpoints within those steps.
    public init(origin: Double, stepLimit: Int, otherSpans: Int = 64) {
        self.origin = origin
        self.stepLimit = max(stepLimit, 0)
        capacity = self.stepLimit * 3 + otherSpans
        packedSpans = [Double](repeating: 0, count: 1 + capacity * TimelineRecorder.fieldsPerSpan)
    }

    /// Whether spans are still recorded (the step window is open and there is room).
    @inline(__always)
    public var isRecording: Bool { stepsRecorded < stepLimit && count < capacity }

    /// Records a training step: compute `[computeStart, reduceStart)`, allreduce
    /// `[reduceStart, reduceEnd)`, optimizer `[reduceEnd, end)` (wall times in seconds).
    @inline(__always)
    public func step(epoch: Int, step: Int, computeStart: Double, reduceStart: Double, reduceEnd: Double, end: Double) {
        guard stepsRecorded < stepLimit, count + 3 <= capacity else { return }
        stepsRecorded += 1
        add(.compute, epoch, step, computeStart, reduceStart)
        add(.allreduce, epoch, step, reduceStart, reduceEnd)
        add(.optimizer, epoch, step, reduceEnd, end)
    }

    /// Records an evaluation or checkpoint span while the step window is open.
    public func span(_ kind: TimelineSpan.Kind, epoch: Int, step: Int, start: Double, end: Double) {
        guard isRecording else { return }
        add(kind, epoch, step, start, end)
    }

    /// The spans as a fixed-length array of doubles, the same length on every rank (for one
    /// gather): `[count, (kind, epoch, step, start, end) × capacity]`.
    public func packed() -> [Double] {
        var result = packedSpans
        result[0] = Double(count)
        return result
    }

    /// The spans of one rank's `packed()` array.
    public static func unpack(_ values: ArraySlice<Double>) -> [TimelineSpan] {
        guard let first = values.first, first >= 0 else { return [] }
        let base = values.startIndex + 1
        let count = min(Int(first), (values.count - 1) / fieldsPerSpan)
        return (0..<count).compactMap { index in
            let offset = base + index * fieldsPerSpan
            guard let kind = TimelineSpan.Kind(rawValue: UInt8(clamping: Int(values[offset]))) else { return nil }
            return TimelineSpan(
                kind: kind, epoch: Int(values[offset + 1]), step: Int(values[offset + 2]),
                start: values[offset + 3], end: values[offset + 4])
        }
    }

    @inline(__always)
    private func add(_ kind: TimelineSpan.Kind, _ epoch: Int, _ step: Int, _ start: Double, _ end: Double) {
        let offset = 1 + count * TimelineRecorder.fieldsPerSpan
        packedSpans[offset] = Double(kind.rawValue)
        packedSpans[offset + 1] = Double(epoch)
        packedSpans[offset + 2] = Double(step)
        packedSpans[offset + 3] = start - origin
        packedSpans[offset + 4] = end - origin
        count += 1
    }
}
