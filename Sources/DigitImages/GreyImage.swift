/// A decoded picture: grey levels and coverage, row-major, 0...255 each.
public struct GreyImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `[height, width]` luminance, 0 black ... 255 white.
    public var grey: [UInt8]
    /// `[height, width]` opacity, 255 opaque (all 255 for formats without alpha).
    public var alpha: [UInt8]

    public init(width: Int, height: Int, grey: [UInt8], alpha: [UInt8]? = nil) {
        precondition(grey.count == width * height, "grey levels do not fit \(width)x\(height)")
        self.width = width
        self.height = height
        self.grey = grey
        self.alpha = alpha ?? [UInt8](repeating: 255, count: grey.count)
        precondition(self.alpha.count == grey.count, "alpha does not fit \(width)x\(height)")
    }

    /// Whether any pixel is less than opaque.
    public var hasTransparency: Bool { alpha.contains { $0 < 255 } }
}
