import ArgumentParser
import Diagnostics
import Foundation
import SwiftMPI
import RunOutput
import Training

/// `mnist-mpi selftest`: checks that this launch's collectives are exact on every rank.
struct SelfTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check that allreduce, broadcast, allgather and nonblocking allreduce are exact on all ranks.")

    func run() throws {
        var failed = false
        MPIRuntime.runJob(report: { Logger.error($0) }) { communicator in
            let logger = Logger(isPrinting: communicator.isRoot)
            let checks = try CollectiveSelfTest.run(on: communicator)
            for check in checks {
                logger.info("\(check.passed ? "ok  " : "FAIL") \(check.name)")
            }
            let passedCount = checks.filter(\.passed).count
            logger.info("selftest: \(passedCount) passed, \(checks.count - passedCount) failed on \(communicator.size) ranks")
            failed = passedCount != checks.count
        }
        if failed { throw ExitCode.failure }
    }
}
