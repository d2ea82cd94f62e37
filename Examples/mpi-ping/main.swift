// mpi-ping: an allreduce ping that uses SwiftMPI alone, the library's smallest complete program.
// Every rank contributes its rank number; all must see the same sum, then the round trip of a
// one-float allreduce is timed. Errors end every rank with one line (MPIRuntime.runJob).
//
//   mpirun -np 4 .build/release/mpi-ping [ROUNDS]            (Open MPI)
//   mpiexec.mpich -n 4 .build-mpich/release/mpi-ping         (MPICH)
import SwiftMPI

#if canImport(Glibc)
import Glibc
#endif

let rounds = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1000

MPIRuntime.runJob(report: { line in fputs("error: \(line)\n", stderr) }) { world in
    // Exact sums on every rank, or the job stops on all of them (an agreed failure).
    var contributions = [Int64(world.rank)]
    try world.allReduce(&contributions, .sum)
    let expected = Int64(world.size * (world.size - 1) / 2)
    struct WrongSum: Error, CustomStringConvertible {
        let got: Int64, expected: Int64
        var description: String { "allreduce gave \(got), expected \(expected)" }
    }
    try world.agreeingOnFailure {
        if contributions[0] != expected { throw WrongSum(got: contributions[0], expected: expected) }
    }

    var ping: [Float] = [1]
    try world.barrier()
    let start = Communicator.wallTime()
    for _ in 0..<rounds { try world.allReduce(&ping, .max) }
    let seconds = (Communicator.wallTime() - start) / Double(max(rounds, 1))
    if world.isRoot {
        let microseconds = (seconds * 1e8).rounded() / 100
        let library = MPIRuntime.libraryVersion
        print("mpi-ping: \(world.size) ranks on \(library), sum of ranks \(contributions[0]) (expected \(expected)), "
              + "one-float allreduce \(microseconds) us (\(rounds) rounds)")
    }
}
