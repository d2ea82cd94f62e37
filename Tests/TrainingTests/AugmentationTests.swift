import MNISTData
import NeuralNet
import Testing
@testable import Training

/// `--augment-shift`: the shifts drawn per example and epoch, and the shifted images.
@Suite struct AugmentationTests {
    @Test func shiftsCoverTheRangeAndDependOnlyOnSeedEpochAndExample() {
        var seen = Set<Int>()
        for example in 0..<2000 {
            let (dx, dy) = BatchAssembler.offsets(seed: 42, epoch: 3, example: example, pixels: 2)
            #expect((-2...2).contains(dx) && (-2...2).contains(dy))
            seen.insert((dx + 2) * 5 + dy + 2)
            #expect(BatchAssembler.offsets(seed: 42, epoch: 3, example: example, pixels: 2) == (dx, dy))
        }
        #expect(seen.count == 25, "all 25 shifts drawn")
        let other = (0..<100).filter {
            BatchAssembler.offsets(seed: 42, epoch: 4, example: $0, pixels: 2)
                != BatchAssembler.offsets(seed: 42, epoch: 3, example: $0, pixels: 2)
        }
        #expect(other.count > 50, "another epoch draws other shifts")
    }

    /// Two 4x3 images (pixel value = 1 + its index) through an assembler that shifts them: each
    /// row of the batch is its image moved by the drawn offset, zeros where it came from outside.
    @Test func assembledImagesAreTheShiftedImages() {
        let image = ImageShape(height: 4, width: 3, channels: 1)
        let pixels: [UInt8] = (0..<24).map { (index: Int) -> UInt8 in
            let value: Int = 1 + index % 12 + 20 * (index / 12)
            return UInt8(value)
        }
        let examples = LabeledImages(pixels: pixels, labels: [0, 1], pixelsPerImage: 12, firstIndex: 100)
        let assembler = BatchAssembler(examples: examples, batchSize: 2, shift: (pixels: 1, image: image, seed: 7))
        var random = RandomSource(seed: 1)
        assembler.shuffle(random: &random, epoch: 5)
        assembler.assemble(step: 0)
        for row in 0..<2 {
            let example = Int(assembler.labels[row])
            let (dx, dy) = BatchAssembler.offsets(seed: 7, epoch: 5, example: 100 + example, pixels: 1)
            for y in 0..<4 {
                for x in 0..<3 {
                    let sy: Int = y - dy
                    let sx: Int = x - dx
                    var expected: Float = 0
                    if (0..<4).contains(sy) && (0..<3).contains(sx) {
                        let index: Int = example * 12 + sy * 3 + sx
                        expected = Float(pixels[index]) / 255
                    }
                    let got: Float = assembler.input[row * 12 + y * 3 + x]
                    #expect(abs(got - expected) < 1e-6, "row \(row) (\(y), \(x)) shift (\(dx), \(dy))")
                }
            }
        }
    }
}
