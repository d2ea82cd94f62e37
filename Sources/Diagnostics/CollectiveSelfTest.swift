import SwiftMPI

/// Checks that the collectives of the current launch give exact results, like
/// `horovodrun --check-build` for a cluster: values are small integers, which sums of floats
/// represent exactly whatever the reduction order, so any difference is a real fault.
public enum CollectiveSelfTest {
    /// One check's outcome, agreed on by all ranks.
    public struct Check: Sendable {
        public let name: String
        public let passed: Bool
    }

    /// Runs every check on every rank (all ranks must call it).
    ///
    /// - Parameter elementCount: the size of the large allreduce (default: the seed model's
    ///   269,322 gradients).
    /// - Returns: the checks, each passed only if it passed on every rank.
    /// - Throws: `MPIError` if a collective fails.
    public static func run(on communicator: Communicator, elementCount: Int = 269_322) throws -> [Check] {
        let rank = communicator.rank
        let size = communicator.size
        var local: [(String, Bool)] = []

        // Sum and average of a gradient-sized Float buffer: rank r holds (r + 1) + (i mod 7).
        var values = (0..<elementCount).map { Float(rank + 1 + $0 % 7) }
        try communicator.allReduce(&values, .sum)
        let rankSum = Float(size * (size + 1) / 2)
        local.append(("allreduce sum of \(elementCount) floats is exact",
                      values.enumerated().allSatisfy { $0.element == rankSum + Float(size * ($0.offset % 7)) }))

        var averaged = (0..<elementCount).map { Float(2 * rank + $0 % 5) }
        try communicator.allReduce(&averaged, .average)
        local.append(("allreduce average of \(elementCount) floats is exact",
                      averaged.enumerated().allSatisfy { $0.element == Float(size - 1 + $0.offset % 5) }))

        // Max and min of doubles and 64-bit integers.
        var doubles = [Double(rank), -Double(rank)]
        try communicator.allReduce(&doubles, .max)
        local.append(("allreduce max of doubles", doubles == [Double(size - 1), 0]))
        var integers = [Int64(rank) << 40]
        try communicator.allReduce(&integers, .min)
        local.append(("allreduce min of 64-bit integers", integers == [0]))

        // Broadcast from rank 0 overwrites every other rank's values.
        var broadcast = (0..<1000).map { Float(rank == 0 ? $0 : -1) }
        try communicator.broadcast(&broadcast, root: 0)
        local.append(("broadcast from rank 0", broadcast == (0..<1000).map { Float($0) }))

        // Nonblocking allreduce, driven by test() then completed by wait().
        var pending = [Float](repeating: Float(rank + 1), count: 4096)
        try pending.withUnsafeMutableBufferPointer { buffer in
            var request = try communicator.startAllReduce(buffer, .sum)
            _ = try request.test()
            try request.wait()
        }
        local.append(("nonblocking allreduce sum", pending.allSatisfy { $0 == rankSum }))

        // The 16-bit sums (the gradient wire's custom MPI_Ops, one per format): small integers
        // are exact in bfloat16's 8-bit and float16's 11-bit mantissa, and the ops sum in float32.
        for format in HalfFloat.allCases {
            var codes = [UInt16](repeating: 0, count: 1027)
            let halves = (0..<codes.count).map { Float(rank + 1 + $0 % 3) }
            format.encode(halves, into: &codes, count: codes.count)
            try codes.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0, as: format) }
            var decoded = [Float](repeating: 0, count: codes.count)
            format.decode(codes, into: &decoded, count: codes.count)
            local.append(("\(format.name) allreduce sum is exact",
                          decoded.enumerated().allSatisfy { $0.element == rankSum + Float(size * ($0.offset % 3)) }))
        }

        // The raw C MPI_Allreduce timing loop sums in place: after 3 rounds every value is size^3.
        var raw = [Float](repeating: 1, count: 4096)
        let seconds = try raw.withUnsafeMutableBufferPointer { try communicator.timeRawAllReduce($0, iterations: 3) }
        local.append(("raw C allreduce loop sums (3 rounds)",
                      seconds > 0 && raw.allSatisfy { $0 == Float(size * size * size) }))

        // Gathers: equal parts (MPI_Allgather) and unequal ones (MPI_Allgatherv), each rank's
        // values in rank order. Rank r sends its rank number, r + 1 times in the unequal one.
        let equal = try AllGatherLayout(counts: Array(repeating: 3, count: size))
        let unequal = try AllGatherLayout(counts: (0..<size).map { $0 + 1 })
        var gathered = [Float](repeating: -1, count: equal.total)
        let mine = [Float](repeating: Float(rank), count: 3)
        try mine.withUnsafeBufferPointer { values in
            try gathered.withUnsafeMutableBufferPointer { try communicator.allGather(values, into: $0, layout: equal) }
        }
        local.append(("allgather of equal parts in rank order",
                      gathered == (0..<size).flatMap { Array(repeating: Float($0), count: 3) }))
        var uneven = [Float](repeating: -1, count: unequal.total)
        let mineUneven = [Float](repeating: Float(rank), count: rank + 1)
        try mineUneven.withUnsafeBufferPointer { values in
            try uneven.withUnsafeMutableBufferPointer { try communicator.allGather(values, into: $0, layout: unequal) }
        }
        local.append(("allgather of unequal parts in rank order",
                      uneven == (0..<size).flatMap { Array(repeating: Float($0), count: $0 + 1) }))

        // The shared-memory sum (when every rank is on one node).
        if let reducer = try SharedMemoryAllReducer.make(communicator: communicator, count: elementCount) {
            for i in reducer.buffer.indices { reducer.buffer[i] = Float(rank + 1 + i % 7) }
            try reducer.sumInPlace()
            let exact = reducer.buffer.enumerated().allSatisfy { $0.element == rankSum + Float(size * ($0.offset % 7)) }
            // Twice: the second call must see fresh values, not the first call's sums.
            for i in reducer.buffer.indices { reducer.buffer[i] = Float(rank) }
            try reducer.sumInPlace()
            let again = reducer.buffer.allSatisfy { $0 == Float(size * (size - 1) / 2) }
            try reducer.close()
            local.append(("shared-memory sum of \(elementCount) floats is exact", exact && again))
        }

        // A check passes only if it passed on every rank.
        var passed = local.map { Int32($0.1 ? 1 : 0) }
        try communicator.allReduce(&passed, .min)
        return zip(local, passed).map { Check(name: $0.0, passed: $1 == 1) }
    }
}
