import SwiftMPI
import NeuralNet

/// Allreduce timings of the current launch: the Swift layer against a plain C loop of
/// MPI_Allreduce on the same buffer, interleaved so that both see the same machine state, and
/// a sweep over message sizes for the latency/bandwidth model.
public enum AllReduceBenchmark {
    public struct Comparison: Codable, Sendable {
        public let elements: Int
        public let ranks: Int
        /// Per round: seconds per call.
        public let rawSeconds: [Double]
        public let swiftSeconds: [Double]
        public var rawMedian: Double { median(rawSeconds) }
        public var swiftMedian: Double { median(swiftSeconds) }
    }

    public struct SweepPoint: Codable, Sendable {
        public let bytes: Int
        public let seconds: Double
    }

    /// Raw C against Swift on `elements` floats, `rounds` alternating rounds of `iterations`.
    /// Every rank must call it.
    public static func compare(
        on communicator: Communicator, elements: Int, iterations: Int, rounds: Int
    ) throws -> Comparison {
        let buffer = FloatBuffer(count: elements, repeating: 1)
        var raw: [Double] = [], swift: [Double] = []
        _ = try communicator.timeRawAllReduce(buffer.buffer, iterations: 5)  // warm up
        for round in 0..<rounds {
            // Alternate which goes first so neither always follows the other.
            for first in [round % 2 == 0, round % 2 != 0] {
                if first {
                    raw.append(try communicator.timeRawAllReduce(buffer.buffer, iterations: iterations))
                } else {
                    try communicator.barrier()
                    let start = Communicator.wallTime()
                    for _ in 0..<iterations { try communicator.allReduce(buffer.buffer, .sum) }
                    swift.append((Communicator.wallTime() - start) / Double(iterations))
                }
                buffer.fill(1)  // keep values bounded
            }
        }
        // Rank 0's view decides; the others' timings are the same collective.
        return Comparison(elements: elements, ranks: communicator.size, rawSeconds: raw, swiftSeconds: swift)
    }

    /// Median seconds per Swift-layer allreduce for sizes from `minimumBytes` to
    /// `maximumBytes`, by factors of 4.
    public static func sweep(
        on communicator: Communicator, minimumBytes: Int = 4, maximumBytes: Int = 4 << 20, rounds: Int = 5
    ) throws -> [SweepPoint] {
        var points: [SweepPoint] = []
        var bytes = minimumBytes
        while bytes <= maximumBytes {
            let elements = max(1, bytes / 4)
            let buffer = FloatBuffer(count: elements, repeating: 1)
            let iterations = max(5, min(1000, (1 << 24) / max(bytes, 1)))
            var times: [Double] = []
            for _ in 0..<rounds {
                try communicator.barrier()
                let start = Communicator.wallTime()
                for _ in 0..<iterations { try communicator.allReduce(buffer.buffer, .sum) }
                times.append((Communicator.wallTime() - start) / Double(iterations))
                buffer.fill(1)
            }
            // The slowest rank's median is what a step waits for.
            var slowest = [median(times)]
            try communicator.allReduce(&slowest, .max)
            points.append(SweepPoint(bytes: elements * 4, seconds: slowest[0]))
            bytes *= 4
        }
        return points
    }
}
