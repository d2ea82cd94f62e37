/// Brings a picture of a digit to the form MNIST's images have, the way MNIST was made (LeCun et
/// al.): a white digit on black, grey levels from anti-aliasing, the digit scaled to fit a 20x20
/// box (aspect ratio kept), then placed in a 28x28 field so that its centre of mass is the
/// field's centre.
public enum MNISTForm {
    /// The field's side and the box the digit is fitted into.
    public static let side = 28, box = 20

    /// When to fit and centre: `auto` takes 28x28 pictures as they are (they are in MNIST's form
    /// already, e.g. test-set images written out) and fits every other size; `always` fits all.
    public enum Fitting: String, CaseIterable, Sendable {
        case auto, always
    }

    /// `[28 × 28]` grey levels, white digit on black, row-major.
    ///
    /// - Parameters:
    ///   - image: any size, either polarity (the border's mean level says which is paper), with or
    ///     without transparency (transparent pixels are paper).
    ///   - path: named in errors.
    /// - Throws: `ImageError.blank` when no pixel differs from the paper.
    public static func digit(from image: GreyImage, path: String, fitting: Fitting = .auto) throws -> [UInt8] {
        var levels = inkLevels(image)
        if fitting == .auto, image.width == side, image.height == side {
            return levels.map { UInt8(($0).rounded()) }
        }
        // Paper at 0 and the strongest ink at 255, as in MNIST's scans.
        let paper = median(borderLevels(levels, width: image.width, height: image.height))
        var strongest: Float = 0
        for index in levels.indices {
            levels[index] = max(0, levels[index] - paper)
            strongest = max(strongest, levels[index])
        }
        guard strongest > 0 else { throw ImageError.blank(path) }
        for index in levels.indices { levels[index] *= 255 / strongest }

        guard let bounds = inkBounds(levels, width: image.width, height: image.height) else { throw ImageError.blank(path) }
        let scale = Float(box) / Float(max(bounds.width, bounds.height))
        let fittedWidth = max(1, Int((Float(bounds.width) * scale).rounded()))
        let fittedHeight = max(1, Int((Float(bounds.height) * scale).rounded()))
        let fitted = resample(
            levels, width: image.width, crop: bounds, toWidth: fittedWidth, toHeight: fittedHeight)
        return centred(fitted, width: fittedWidth, height: fittedHeight)
    }

    /// Luminance turned into ink: transparency composited onto paper of the colour the strokes are
    /// not, then inverted when the border is light.
    ///
    /// - Returns: `[height × width]` ink levels 0...255 (255 strongest).
    static func inkLevels(_ image: GreyImage) -> [Float] {
        var levels = image.grey.map(Float.init)
        if image.hasTransparency {
            var weighted: Float = 0, coverage: Float = 0
            for index in levels.indices {
                weighted += Float(image.alpha[index]) * levels[index]
                coverage += Float(image.alpha[index])
            }
            let darkStrokes = coverage == 0 || weighted / coverage < 128
            let paper: Float = darkStrokes ? 255 : 0
            for index in levels.indices {
                let opacity = Float(image.alpha[index]) / 255
                levels[index] = opacity * levels[index] + (1 - opacity) * paper
            }
        }
        let border = borderLevels(levels, width: image.width, height: image.height)
        let lightPaper = border.reduce(0, +) / Float(border.count) > 127.5
        return lightPaper ? levels.map { 255 - $0 } : levels
    }

    /// The levels of the outermost rows and columns.
    static func borderLevels(_ levels: [Float], width: Int, height: Int) -> [Float] {
        var border: [Float] = []
        for x in 0..<width {
            border.append(levels[x])
            if height > 1 { border.append(levels[(height - 1) * width + x]) }
        }
        for y in 1..<max(1, height - 1) {
            border.append(levels[y * width])
            if width > 1 { border.append(levels[y * width + width - 1]) }
        }
        return border
    }

    static func median(_ values: [Float]) -> Float {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    /// The smallest rectangle holding every pixel above a tenth of full ink (fainter specks and
    /// anti-aliasing halos do not widen it).
    static func inkBounds(_ levels: [Float], width: Int, height: Int) -> (x: Int, y: Int, width: Int, height: Int)? {
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0..<height {
            for x in 0..<width where levels[y * width + x] > 25.5 {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return nil }
        return (minX, minY, maxX - minX + 1, maxY - minY + 1)
    }

    /// Area-average resampling (each output pixel is the mean of the source area it covers),
    /// which anti-aliases when shrinking as MNIST's normalisation did.
    ///
    /// - Parameters:
    ///   - levels: `[rows, width]` source.
    ///   - crop: the source rectangle.
    /// - Returns: `[toHeight, toWidth]`.
    static func resample(
        _ levels: [Float], width: Int, crop: (x: Int, y: Int, width: Int, height: Int), toWidth: Int, toHeight: Int
    ) -> [Float] {
        let columns = coverage(from: crop.width, to: toWidth)
        let rows = coverage(from: crop.height, to: toHeight)
        var horizontal = [Float](repeating: 0, count: crop.height * toWidth)
        for y in 0..<crop.height {
            let line = (crop.y + y) * width + crop.x
            for (x, weights) in columns.enumerated() {
                horizontal[y * toWidth + x] = weights.reduce(0) { $0 + $1.weight * levels[line + $1.index] }
            }
        }
        var output = [Float](repeating: 0, count: toHeight * toWidth)
        for (y, weights) in rows.enumerated() {
            for x in 0..<toWidth {
                output[y * toWidth + x] = weights.reduce(0) { $0 + $1.weight * horizontal[$1.index * toWidth + x] }
            }
        }
        return output
    }

    /// For each of `to` output cells, the source cells it overlaps and the share of each
    /// (shares sum to 1).
    static func coverage(from: Int, to: Int) -> [[(index: Int, weight: Float)]] {
        let step = Double(from) / Double(to)
        return (0..<to).map { cell in
            let start = Double(cell) * step, end = Double(cell + 1) * step
            var weights: [(index: Int, weight: Float)] = []
            var source = Int(start)
            while Double(source) < end, source < from {
                let overlap = min(end, Double(source + 1)) - max(start, Double(source))
                if overlap > 0 { weights.append((source, Float(overlap / step))) }
                source += 1
            }
            return weights
        }
    }

    /// Places the fitted digit in the 28x28 field with its centre of mass at the field's centre
    /// (as far as the field allows).
    ///
    /// - Parameter fitted: `[height, width]`, at most 20x20.
    /// - Returns: `[28 × 28]` levels rounded to bytes.
    static func centred(_ fitted: [Float], width: Int, height: Int) -> [UInt8] {
        var mass: Float = 0, sumX: Float = 0, sumY: Float = 0
        for y in 0..<height {
            for x in 0..<width {
                let value = fitted[y * width + x]
                mass += value
                sumX += value * (Float(x) + 0.5)
                sumY += value * (Float(y) + 0.5)
            }
        }
        let centreX = mass > 0 ? sumX / mass : Float(width) / 2
        let centreY = mass > 0 ? sumY / mass : Float(height) / 2
        let half = Float(side) / 2
        let left = min(max(Int((half - centreX).rounded()), 0), side - width)
        let top = min(max(Int((half - centreY).rounded()), 0), side - height)
        var field = [UInt8](repeating: 0, count: side * side)
        for y in 0..<height {
            for x in 0..<width {
                field[(top + y) * side + left + x] = UInt8(min(255, max(0, fitted[y * width + x])).rounded())
            }
        }
        return field
    }
}
