import CMPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide MPI life cycle: `MPI_Init_thread` once, `MPI_Finalize` once, and `runJob`, which
/// wraps a whole job so that every error ends every rank.
///
/// MPI may be initialised only once per process, so this type keeps the state; calling
/// `initialize()` again is a no-op. Without `mpirun` the process runs as a singleton world
/// of size 1 (what the unit tests use).
public enum MPIRuntime {
    /// Initialises MPI at thread level FUNNELED (only the main thread calls MPI) and makes every
    /// error on the world communicator return a code instead of aborting, so that each call
    /// can be checked and reported by name.
    ///
    /// - Throws: `MPIError` if initialisation fails or the library provides less than FUNNELED.
    public static func initialize() throws {
        if try isInitialized { return }
        var provided: Int32 = 0
        try checkMPI("MPI_Init_thread", MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided))
        try checkMPI(
            "MPI_Comm_set_errhandler",
            MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()))
        guard provided >= cmpi_thread_funneled() else {
            throw MPIError(
                call: "MPI_Init_thread",
                usage: "the MPI library provides thread level \(provided), below MPI_THREAD_FUNNELED "
                    + "(\(cmpi_thread_funneled())); use an MPI built with thread support")
        }
    }

    /// Whether `MPI_Init` has run in this process.
    ///
    /// - Throws: `MPIError` if `MPI_Initialized` fails.
    public static var isInitialized: Bool {
        get throws {
            var flag: Int32 = 0
            try checkMPI("MPI_Initialized", MPI_Initialized(&flag))
            return flag != 0
        }
    }

    /// Whether `MPI_Finalize` has run in this process.
    ///
    /// - Throws: `MPIError` if `MPI_Finalized` fails.
    public static var isFinalized: Bool {
        get throws {
            var flag: Int32 = 0
            try checkMPI("MPI_Finalized", MPI_Finalized(&flag))
            return flag != 0
        }
    }

    /// The MPI library's own name and version (`MPI_Get_library_version`, up to the first line
    /// break or comma), e.g. "Open MPI v4.1.4" or "MPICH Version: 4.0.2"; callable before
    /// `initialize()`.
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_library_version_string()) + 1)
        var length: Int32 = 0
        guard MPI_Get_library_version(&buffer, &length) == cmpi_success() else { return "unknown MPI" }
        let text = String(decoding: buffer.prefix(Int(length)).prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // "Open MPI v4.1.4, package: ..." -> "Open MPI v4.1.4"; "MPICH Version:\t4.0.2\n..." -> "MPICH Version: 4.0.2".
        let firstLine = (text.split(separator: "\n").first ?? Substring(text)).split(separator: ",").first ?? ""
        let words = firstLine.split(whereSeparator: { $0 == " " || $0 == "\t" })
        return words.isEmpty ? "unknown MPI" : words.joined(separator: " ")
    }

    /// Finalises MPI if it was initialised and not yet finalised.
    ///
    /// - Throws: `MPIError` if `MPI_Finalize` fails.
    public static func finalize() throws {
        guard try isInitialized, try !isFinalized else { return }
        try checkMPI("MPI_Finalize", MPI_Finalize())
    }

    /// Runs a whole job: initialises MPI, runs `body` on the world communicator, finalises.
    /// Returns only when every step succeeded; otherwise it ends the process, on every rank,
    /// with one line through `report` and no hang:
    ///
    /// - MPI cannot start: the line, exit 1;
    /// - an error all ranks agreed on (`CollectiveFailure`): the reporting rank's line, every
    ///   rank finalises and exits 1;
    /// - any other error (found by one rank alone): that rank's line, then `MPI_Abort`, which
    ///   ends every rank.
    ///
    /// - Parameters:
    ///   - report: writes one error line (the caller's logger).
    ///   - body: the job; every rank runs it.
    public static func runJob(report: (String) -> Void, _ body: (Communicator) throws -> Void) {
        let communicator: Communicator
        do {
            try initialize()
            communicator = try Communicator.world()
        } catch {
            report("\(error) (is MPI installed, and was the job started with mpirun or srun?)")
            exit(1)
        }
        do {
            try body(communicator)
            try finalize()
        } catch let failure as CollectiveFailure {
            if case .reportedHere(let error) = failure { report("\(error)") }
            try? finalize()
            exit(1)
        } catch {
            report("rank \(communicator.rank): \(error)")
            communicator.abort(code: 1)
        }
    }
}
