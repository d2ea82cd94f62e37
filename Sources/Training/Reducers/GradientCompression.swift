import SwiftMPI

/// How the gradients travel between ranks (`--compression`): float32 (`none`), one of the
/// 16-bit wire formats (`HalfFloat`: bf16, fp16, each summed in float32 and rounded), PowerSGD's
/// low-rank pair, or `auto`. The wire formats come from `HalfFloat.allCases`, so a new format
/// registered there is a value here, a candidate of `auto` and a wire of the MPI and
/// overlapped sums without a line here.
public struct GradientCompression: RawRepresentable, Hashable, Codable, Sendable, CaseIterable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        guard GradientCompression.allCases.contains(where: { $0.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    private init(known rawValue: String) {
        self.rawValue = rawValue
    }

    /// float32, exact sums.
    public static let none = GradientCompression(known: "none")
    /// bfloat16 (half the bytes; summed in float32 and rounded).
    public static let bf16 = GradientCompression(halfFloat: .bfloat16)
    /// Rank-r PowerSGD with error feedback on the weight matrices (see `PowerSGDCompressor`):
    /// about 35x fewer bytes for the seed model at rank 4.
    public static let powerSGD = GradientCompression(known: "powersgd")
    /// Chosen at start-up: `none` on one node; across nodes the fastest of the others as timed
    /// on the job's own links (see `CompressionChoice`).
    public static let auto = GradientCompression(known: "auto")

    /// The compression that sends `halfFloat`.
    public init(halfFloat: HalfFloat) {
        rawValue = halfFloat.rawValue
    }

    /// none, every 16-bit wire format, powersgd, auto.
    public static let allCases: [GradientCompression] =
        [GradientCompression(known: "none")] + HalfFloat.allCases.map(GradientCompression.init(halfFloat:))
        + [GradientCompression(known: "powersgd"), GradientCompression(known: "auto")]

    /// What `auto` chooses among: all but itself.
    public static var autoCandidates: [GradientCompression] { allCases.filter { $0 != .auto } }

    /// The 16-bit format the values travel in (nil: float32 or PowerSGD's factors).
    public var halfFloat: HalfFloat? { HalfFloat(rawValue: rawValue) }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = GradientCompression(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown compression \(text)"))
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
