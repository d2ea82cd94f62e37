import Foundation

/// One split of an MNIST-format data set in a folder: the images and labels files located and
/// their headers validated, so that shards can be planned before any pixel is read.
public struct MNISTSource: Sendable {
    public let imagesPath: String
    public let labelsPath: String
    /// The number of examples in the files.
    public let count: Int
    /// Pixels per image (rows × columns).
    public let pixelsPerImage: Int
    /// Labels must lie in `0 ..< classCount`.
    public let classCount: Int

    /// Finds `split`'s files in `directory` (plain `name` preferred to `name.gz`) and checks
    /// their headers: magic numbers, dimensions, equal counts.
    ///
    /// - Throws: `MNISTDataError` naming the folder or file and the problem.
    public init(directory: String, split: MNISTSplit, classCount: Int = 10) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
              isDirectory.boolValue
        else { throw MNISTDataError.directoryNotFound(directory) }
        imagesPath = try MNISTSource.locate(split.imagesStem, in: directory)
        labelsPath = try MNISTSource.locate(split.labelsStem, in: directory)
        let images = try IDXFile.readHeader(path: imagesPath, dimensionCount: 3)
        let labels = try IDXFile.readHeader(path: labelsPath, dimensionCount: 1)
        guard images.itemCount == labels.itemCount else {
            throw MNISTDataError.countMismatch(
                images: imagesPath, imageCount: images.itemCount,
                labels: labelsPath, labelCount: labels.itemCount)
        }
        count = images.itemCount
        pixelsPerImage = images.itemSize
        self.classCount = classCount
    }

    /// Reads the examples `range` (and only those), checking every label.
    ///
    /// - Returns: `[range.count]` examples.
    /// - Throws: `MNISTDataError` naming the file and the problem.
    public func load(range: Range<Int>) throws -> LabeledImages {
        let images = try IDXFile.readItems(path: imagesPath, dimensionCount: 3, range: range)
        let labels = try IDXFile.readItems(path: labelsPath, dimensionCount: 1, range: range)
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classCount }) {
            throw MNISTDataError.labelOutOfRange(
                labelsPath, index: range.lowerBound + bad, label: Int(labels.bytes[bad]),
                classes: classCount)
        }
        return LabeledImages(
            pixels: images.bytes, labels: labels.bytes, pixelsPerImage: images.header.itemSize,
            firstIndex: range.lowerBound)
    }

    private static func locate(_ stem: String, in directory: String) throws -> String {
        let candidates = [stem, stem + ".gz"]
        for name in candidates {
            let path = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw MNISTDataError.fileNotFound(directory: directory, names: candidates)
    }
}
