/// A contiguous run of examples held as bytes: images `[count, pixelsPerImage]` (0...255) and
/// labels `[count]` (class indices).
public struct LabeledImages: Sendable {
    /// `[count × pixelsPerImage]` row-major pixel bytes.
    public let pixels: [UInt8]
    /// `[count]` class indices.
    public let labels: [UInt8]
    /// Pixels per image (rows × columns, 784 for MNIST).
    public let pixelsPerImage: Int
    /// The index in the whole file of the first example held.
    public let firstIndex: Int

    /// The number of examples held.
    public var count: Int { labels.count }

    public init(pixels: [UInt8], labels: [UInt8], pixelsPerImage: Int, firstIndex: Int) {
        precondition(pixels.count == labels.count * pixelsPerImage, "pixel and label counts differ")
        self.pixels = pixels
        self.labels = labels
        self.pixelsPerImage = pixelsPerImage
        self.firstIndex = firstIndex
    }
}
