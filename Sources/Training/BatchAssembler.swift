import MNISTData
import NeuralNet

/// Turns a rank's shard of byte images into float batches in a per-epoch shuffled order,
/// into buffers allocated once.
final class BatchAssembler {
    let examples: LabeledImages
    let batchSize: Int
    /// `[batchSize, pixelsPerImage]` pixels scaled to 0...1.
    let input: FloatBuffer
    /// `[batchSize]` class indices.
    let labels: UnsafeMutablePointer<Int32>
    /// The shard's example indices in this epoch's order.
    private var order: [Int32]

    /// Where step s's batch starts in the epoch's order: `s × stepStride + offset`.
    let stepStride: Int
    let offset: Int
    /// Random shifts of up to `shift.pixels` pixels of `shift.image`-shaped examples (nil: none).
    let shift: (pixels: Int, image: ImageShape, seed: UInt64)?
    /// The epoch whose order `shuffle` made (keys the shifts).
    private var epoch = 0

    /// - Parameters:
    ///   - stepStride: positions of the order one step covers (default `batchSize`: a rank's own
    ///     shard); `offset`: this batch's start within them (deterministic mode: all ranks
    ///     share one order, rank r takes `batchSize` positions from `r × batchSize` of each step's
    ///     global batch).
    ///   - shift: shift each example by up to `pixels` in each direction, drawn from `seed`, the
    ///     epoch and the example's index in the whole set (so any rank draws the same for it).
    init(
        examples: LabeledImages, batchSize: Int, stepStride: Int? = nil, offset: Int = 0,
        shift: (pixels: Int, image: ImageShape, seed: UInt64)? = nil
    ) {
        precondition(shift.map { $0.image.count == examples.pixelsPerImage } ?? true, "shifted images must fit the examples")
        self.shift = shift.flatMap { $0.pixels > 0 ? $0 : nil }
        self.examples = examples
        self.batchSize = batchSize
        self.stepStride = stepStride ?? batchSize
        self.offset = offset
        input = FloatBuffer(count: batchSize * examples.pixelsPerImage)
        labels = UnsafeMutablePointer<Int32>.allocate(capacity: batchSize)
        labels.initialize(repeating: 0, count: batchSize)
        order = (0..<Int32(examples.count)).map { $0 }
    }

    deinit {
        labels.deallocate()
    }

    /// Orders the shard for a new epoch: a Fisher-Yates shuffle of the identity, so the order
    /// is a function of `random`'s seed alone (a resumed run recreates any epoch's order).
    func shuffle(random: inout RandomSource, epoch: Int = 0) {
        self.epoch = epoch
        order.withUnsafeMutableBufferPointer { order in
            for i in order.indices { order[i] = Int32(i) }
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(random.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
    }

    /// How many rows ahead of the one being scaled `assemble` asks the CPU to fetch.
    private let prefetchDistance = 8

    /// Fills `input` and `labels` with the batch `step` of the current order.
    func assemble(step: Int) {
        let pixels = examples.pixelsPerImage
        examples.pixels.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            examples.labels.withUnsafeBufferPointer { sourceLabels in
                order.withUnsafeBufferPointer { order in
                    let first = step * stepStride + offset
                    guard let orderBase = order.baseAddress else { return }
                    // The rows are scattered over the whole shard (tens of MB, out of cache):
                    // fetching a few rows ahead overlaps their memory latency.
                    VectorPasses.prefetchRows(base, indices: orderBase + first, rows: min(prefetchDistance, batchSize), rowBytes: pixels)
                    for row in 0..<batchSize {
                        if row + prefetchDistance < batchSize {
                            VectorPasses.prefetchRows(base, indices: orderBase + first + row + prefetchDistance, rows: 1, rowBytes: pixels)
                        }
                        let example = Int(order[first + row])
                        let destination = input.pointer + row * pixels
                        if let shift {
                            let (dx, dy) = BatchAssembler.offsets(
                                seed: shift.seed, epoch: epoch, example: examples.firstIndex + example, pixels: shift.pixels)
                            shifted(base + example * pixels, by: (dx, dy), image: shift.image, into: destination)
                        } else {
                            scalePixels(base + example * pixels, into: destination, count: pixels)
                        }
                        labels[row] = Int32(sourceLabels[example])
                    }
                }
            }
        }
    }

    /// The shift of `example` (its index in the whole training set) in `epoch`: each of x and y
    /// uniform in `-pixels...pixels`, from a SplitMix64 hash of the seed, the epoch and the index.
    static func offsets(seed: UInt64, epoch: Int, example: Int, pixels: Int) -> (dx: Int, dy: Int) {
        var state = seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15)
            ^ (UInt64(truncatingIfNeeded: example) &* 0xD1B5_4A32_D192_ED03)
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let span = UInt64(2 * pixels + 1)
        return (Int(next() % span) - pixels, Int(next() % span) - pixels)
    }

    /// `destination[y, x, c] = source[y - dy, x - dx, c] / 255` (0 where that falls outside).
    ///
    /// - Parameters:
    ///   - source: `[height, width, channels]` grey levels; destination: the same shape, floats.
    private func shifted(
        _ source: UnsafePointer<UInt8>, by offset: (dx: Int, dy: Int), image: ImageShape,
        into destination: UnsafeMutablePointer<Float>
    ) {
        let line = image.width * image.channels
        destination.update(repeating: 0, count: image.count)
        let (dx, dy) = offset
        let columns = max(0, image.width - abs(dx)) * image.channels
        guard columns > 0 else { return }
        let fromColumn = max(0, -dx) * image.channels, toColumn = max(0, dx) * image.channels
        for y in max(0, dy)..<min(image.height, image.height + dy) {
            scalePixels(source + (y - dy) * line + fromColumn, into: destination + y * line + toColumn, count: columns)
        }
    }
}
