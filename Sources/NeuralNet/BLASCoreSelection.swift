import CBLAS
import Foundation

/// Which OpenBLAS kernel family ("core") runs the matrix products, and a better one when
/// OpenBLAS's own detection fell back to a generic kernel.
///
/// OpenBLAS built with DYNAMIC_ARCH picks its kernels from the CPU model when the library loads.
/// A release older than the CPU does not know the model and falls back: Debian's 0.3.21 runs its
/// SSE3 "Prescott" kernel on Intel Xeons of the Sapphire Rapids generation (AVX-512, AVX512_BF16),
/// 3.7x slower than its SkylakeX kernel there. The choice is made before `main` runs, from
/// `OPENBLAS_CORETYPE`, so correcting it means setting that variable and starting the process
/// again (see `BLASCoreSelection.coreTypeToRequest`). A user's own `OPENBLAS_CORETYPE` always
/// stands.
public enum BLASCoreSelection {
    /// The instruction-set level a kernel family needs, and a CPU offers.
    public enum Level: Int, Comparable, Sendable {
        case sse = 0, avx, avx2, avx512

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The kernel OpenBLAS runs in this process (`openblas_get_corename`), e.g. "Haswell".
    public static var activeCore: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The kernel in use, and the one OpenBLAS had chosen by itself when mnist-mpi restarted
    /// with a better one (it says so in `MNIST_MPI_BLAS_REPLACED_CORE`), e.g.
    /// "SkylakeX (OpenBLAS chose Prescott)".
    public static var activeCoreDescription: String {
        guard let replaced = ProcessInfo.processInfo.environment["MNIST_MPI_BLAS_REPLACED_CORE"] else { return activeCore }
        return "\(activeCore) (OpenBLAS chose \(replaced))"
    }

    /// The level a core name (as `openblas_get_corename` prints it) is written for; nil for a
    /// name this table does not know, which is then left alone.
    public static func level(ofCore core: String) -> Level? {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return .avx512
        case "haswell", "zen", "skylake": return .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": return .avx
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine",
             "northwood", "banias", "opteron", "opteron_sse3", "barcelona", "bobcat", "nano":
            return .sse
        default: return nil
        }
    }

    /// The level a CPU's feature flags (as /proc/cpuinfo lists them) support.
    public static func level(ofCPUFlags flags: Set<String>) -> Level {
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return .avx512 }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return .avx2 }
        if flags.contains("avx") { return .avx }
        return .sse
    }

    /// The OpenBLAS core type for a CPU at `level` (OPENBLAS_CORETYPE spelling). SkylakeX for
    /// every AVX-512 CPU: Debian's OpenBLAS has no bfloat16 GEMM, so Cooperlake adds nothing.
    public static func coreType(for level: Level) -> String {
        switch level {
        case .avx512: return "SkylakeX"
        case .avx2: return "Haswell"
        case .avx: return "Sandybridge"
        case .sse: return "Prescott"
        }
    }

    /// The `OPENBLAS_CORETYPE` to restart with, or nil when OpenBLAS's choice stands: the user set
    /// one, the active core is unknown to the table, or it already uses what the CPU offers
    /// (narrowed by `MNIST_MPI_MAX_ISA`, which caps OpenBLAS as it caps oneDNN and the project's
    /// own passes, so that a wide machine runs an AVX2-only one's kernels).
    ///
    /// - Parameters:
    ///   - activeCore: the core OpenBLAS chose (`activeCore`).
    ///   - cpuFlags: the CPU's feature flags.
    ///   - environment: the process environment (`OPENBLAS_CORETYPE` there means: keep it;
    ///     `MNIST_MPI_MAX_ISA` the widest level allowed).
    public static func coreTypeToRequest(
        activeCore: String, cpuFlags: Set<String>, environment: [String: String]
    ) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, let active = level(ofCore: activeCore) else { return nil }
        let cpu = level(ofCPUFlags: cpuFlags)
        let cap = environment["MNIST_MPI_MAX_ISA"].flatMap(level(ofCap:))
        let offered = cap.map { min($0, cpu) } ?? cpu
        if let cap, active > cap { return coreType(for: offered) }
        return offered > active ? coreType(for: offered) : nil
    }

    /// The level `MNIST_MPI_MAX_ISA` allows ("avx512", "avx2", "sse2"); nil for none or a value
    /// it does not know (the trainer refuses that value itself).
    static func level(ofCap text: String) -> Level? {
        switch text.lowercased() {
        case "avx512", "avx512f", "avx512_core": return .avx512
        case "avx2": return .avx2
        case "sse2", "sse41", "baseline": return .sse
        default: return nil
        }
    }

    /// This CPU's feature flags from /proc/cpuinfo (empty where there is none).
    public static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }
}
