// mnist-mpi's entry point: parse the command line, then run the chosen command.
//
// Parsing happens on every rank before MPI starts; only rank 0 prints parse errors and help,
// so a bad option prints one line however many ranks were launched.
import ArgumentParser
import Foundation
import RunOutput
import Training

/// This process's rank as the launcher announced it (MPI is not initialised yet).
let launcherRank = ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"]
    .lazy.compactMap { ProcessInfo.processInfo.environment[$0] }.first.flatMap { Int($0) } ?? 0

BLASCoreRestart.restartIfBetterCoreExists()

do {
    var command = try MnistMpi.parseAsRoot()
    try command.run()
} catch {
    let code = MnistMpi.exitCode(for: error)
    if code == .success || error is CleanExit {
        if launcherRank == 0 { MnistMpi.exit(withError: error) }
        exit(0)
    }
    // An ExitCode carries no message: whoever threw it has printed its line already.
    let message = MnistMpi.message(for: error)
    if launcherRank == 0, !(error is ExitCode), !message.isEmpty {
        Logger.error("\(message) (see mnist-mpi --help)")
    }
    exit(code.rawValue)
}
