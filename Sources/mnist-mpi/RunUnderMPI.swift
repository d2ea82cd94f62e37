import Foundation
import MPI
import Training

/// Initialises MPI, runs `body` on the world communicator, finalises, and turns every error
/// into one line on stderr and a non-zero exit on every rank, without a hang:
///
/// - an error all ranks agreed on (`CollectiveFailure`): the reporting rank prints it, every
///   rank finalises and exits 1;
/// - any other error (found by one rank alone): that rank prints it and aborts the job
///   (`MPI_Abort`), which ends every rank.
func runUnderMPI(_ body: (Communicator) throws -> Void) throws {
    let communicator: Communicator
    do {
        try MPIRuntime.initialize()
        communicator = try Communicator.world()
    } catch {
        Logger.error("\(error) (is OpenMPI installed and the job started with mpirun?)")
        exit(1)
    }
    do {
        try body(communicator)
        try MPIRuntime.finalize()
    } catch let failure as CollectiveFailure {
        if case .reportedHere(let error) = failure { Logger.error("\(error)") }
        try? MPIRuntime.finalize()
        exit(1)
    } catch {
        Logger.error("rank \(communicator.rank): \(error)")
        communicator.abort(code: 1)
    }
}
