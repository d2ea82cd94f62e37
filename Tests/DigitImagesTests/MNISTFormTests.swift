import Testing
@testable import DigitImages

/// Pictures of any size and polarity brought to MNIST's form.
@Suite struct MNISTFormTests {
    /// A 28x28 MNIST-like "1": a vertical bar, white on black, inside the centre 20x20.
    private func bar() -> [UInt8] {
        var field = [UInt8](repeating: 0, count: 28 * 28)
        for y in 4..<24 { for x in 13..<16 { field[y * 28 + x] = 255 } }
        return field
    }

    /// `levels` enlarged `factor` times (each pixel a block), placed at (left, top) on a
    /// `width` x `height` sheet of `paper`, inverted when `invert`.
    private func sheet(_ levels: [UInt8], factor: Int, width: Int, height: Int, left: Int, top: Int,
                       paper: UInt8, invert: Bool) -> GreyImage {
        var grey = [UInt8](repeating: paper, count: width * height)
        for y in 0..<(28 * factor) {
            for x in 0..<(28 * factor) {
                let level = levels[(y / factor) * 28 + x / factor]
                if level > 0 { grey[(top + y) * width + left + x] = invert ? paper - UInt8(Int(level) * Int(paper) / 255) : level }
            }
        }
        return GreyImage(width: width, height: height, grey: grey)
    }

    private func centreOfMass(_ field: [UInt8]) -> (x: Double, y: Double) {
        var mass = 0.0, x = 0.0, y = 0.0
        for (index, level) in field.enumerated() {
            mass += Double(level)
            x += Double(level) * (Double(index % 28) + 0.5)
            y += Double(level) * (Double(index / 28) + 0.5)
        }
        return (x / mass, y / mass)
    }

    @Test func mnistSizedPicturesPassUnchanged() throws {
        let digit = bar()
        let image = GreyImage(width: 28, height: 28, grey: digit)
        #expect(try MNISTForm.digit(from: image, path: "bar.png") == digit)
        // Black on white: inverted back.
        let inverted = GreyImage(width: 28, height: 28, grey: digit.map { 255 - $0 })
        #expect(try MNISTForm.digit(from: inverted, path: "inverted.png") == digit)
    }

    @Test func largeOffCentreDarkOnLightDigitIsFittedAndCentred() throws {
        let image = sheet(bar(), factor: 5, width: 300, height: 200, left: 150, top: 10, paper: 230, invert: true)
        let field = try MNISTForm.digit(from: image, path: "big.png")
        #expect(field.count == 28 * 28)
        let rows = (0..<28).filter { y in (0..<28).contains { field[y * 28 + $0] > 25 } }
        #expect(rows.count == 20, "the digit's height fits the 20-pixel box: rows \(rows)")
        let centre = centreOfMass(field)
        #expect(abs(centre.x - 14) <= 0.75 && abs(centre.y - 14) <= 0.75, "centre of mass \(centre)")
        #expect(field.max() == 255, "strongest ink at 255")
        #expect(field[0] == 0 && field[27] == 0 && field[28 * 28 - 1] == 0, "paper at 0")
    }

    @Test func fitAlwaysRefitsMNISTSizedPictures() throws {
        var small = [UInt8](repeating: 0, count: 28 * 28)
        for y in 2..<8 { for x in 2..<5 { small[y * 28 + x] = 255 } }  // a short bar in a corner
        let image = GreyImage(width: 28, height: 28, grey: small)
        #expect(try MNISTForm.digit(from: image, path: "s.png", fitting: .auto) == small)
        let fitted = try MNISTForm.digit(from: image, path: "s.png", fitting: .always)
        let centre = centreOfMass(fitted)
        #expect(abs(centre.x - 14) <= 0.75 && abs(centre.y - 14) <= 0.75, "centre of mass \(centre)")
    }

    @Test func transparentSheetIsPaper() throws {
        // Black strokes on a transparent sheet, as drawing programs save them.
        var alpha = [UInt8](repeating: 0, count: 56 * 56)
        for y in 8..<48 { for x in 26..<32 { alpha[y * 56 + x] = 255 } }
        let image = GreyImage(width: 56, height: 56, grey: [UInt8](repeating: 0, count: 56 * 56), alpha: alpha)
        let field = try MNISTForm.digit(from: image, path: "t.png")
        #expect(field.max() == 255 && field[0] == 0)
        #expect(abs(centreOfMass(field).x - 14) <= 0.75)
    }

    @Test func uniformPictureIsBlank() {
        let image = GreyImage(width: 40, height: 30, grey: [UInt8](repeating: 200, count: 1200))
        #expect(throws: ImageError.blank("blank.png")) { try MNISTForm.digit(from: image, path: "blank.png") }
    }

    @Test func coverageWeightsSumToOne() {
        for (from, to) in [(7, 20), (100, 20), (20, 20), (3, 1), (1, 5)] {
            for weights in MNISTForm.coverage(from: from, to: to) {
                #expect(abs(weights.reduce(0) { $0 + $1.weight } - 1) < 1e-5, "\(from) -> \(to)")
            }
        }
    }
}
