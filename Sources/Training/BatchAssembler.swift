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

    /// - Parameters:
    ///   - stepStride: positions of the order one step covers (default `batchSize`: a rank's own
    ///     shard); `offset`: this batch's start within them (deterministic mode: all ranks
    ///     share one order, rank r takes `batchSize` positions from `r × batchSize` of each step's
    ///     global batch).
    init(examples: LabeledImages, batchSize: Int, stepStride: Int? = nil, offset: Int = 0) {
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
    func shuffle(random: inout RandomSource) {
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
                        scalePixels(base + example * pixels, into: input.pointer + row * pixels, count: pixels)
                        labels[row] = Int32(sourceLabels[example])
                    }
                }
            }
        }
    }
}
