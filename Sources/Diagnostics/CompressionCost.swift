import SwiftMPI
import NeuralNet

/// The compute each gradient compression adds to a step, on one thread, without any transfer:
/// each 16-bit wire format's encode and decode of the whole gradient buffer, and PowerSGD's three phases
/// (error feedback, P = M Q, orthonormalisation, Q = Mᵀ P, P Qᵀ and the new error) with the
/// "sums" standing in for themselves. The network comparison's cost model adds these to the
/// transfer time of what each compression sends.
public enum CompressionCost {
    public struct Result: Codable, Sendable {
        /// Median seconds per step for each compression: "bf16", "fp16", "powersgd".
        public let secondsPerStep: [String: Double]
        public let powerSGDRank: Int
        public let steps: Int
    }

    /// Times `steps` steps of each compression, `repeats` times (medians).
    ///
    /// - Parameters:
    ///   - sizes: layer widths, e.g. `[784, 256, 256, 10]`.
    ///   - rank: PowerSGD's rank.
    public static func measure(sizes: [Int], rank: Int, steps: Int, repeats: Int) -> Result {
        setBLASThreads(1)
        let layout = NetworkLayout(sizes: sizes)
        let controls = 3
        let count = layout.parameterCount + controls
        var random = RandomSource(seed: 2)
        let gradients = FloatBuffer(count: count)
        for index in 0..<count { gradients[index] = Float(random.nextNormal(standardDeviation: 0.01)) }
        let bits = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
        defer { bits.deallocate() }
        let compressor = PowerSGDCompressor(layout: layout, rank: rank, seed: 3)
        let first = FloatBuffer(count: compressor.pCount + compressor.uncompressedCount)
        let second = FloatBuffer(count: compressor.qCount)

        func median(_ body: () -> Void) -> Double {
            var runs: [Double] = []
            for _ in 0..<repeats {
                let start = monotonicSeconds()
                for _ in 0..<steps { body() }
                runs.append((monotonicSeconds() - start) / Double(steps))
            }
            return runs.sorted()[runs.count / 2]
        }
        // Every 16-bit wire format the sums offer, by its --compression name.
        var seconds: [String: Double] = [:]
        for format in HalfFloat.allCases {
            seconds[format.rawValue] = median {
                format.encode(gradients.pointer, into: bits, count: count)
                format.decode(bits, into: gradients.pointer, count: count)
            }
        }
        // The sums stand in for themselves: only the compressor's own compute is timed.
        seconds["powersgd"] = median {
            compressor.exchange(
                gradients: gradients.pointer, first: first.buffer, second: second.buffer, ranks: 2, sum: { _ in })
        }
        return Result(secondsPerStep: seconds, powerSGDRank: rank, steps: steps)
    }
}
