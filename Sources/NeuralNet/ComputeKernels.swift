import COneDNN
import Foundation

/// The library that computes the model's matrix products.
public enum KernelLibrary: String, CaseIterable, Sendable, Codable {
    /// OpenBLAS `cblas_sgemm`, float32 only; present wherever mnist-mpi builds.
    case openblas
    /// oneDNN matmul primitives (made once per shape, bias and activation fused), float32 or
    /// bfloat16; used where libdnnl.so.2 (oneDNN 2.x) loads.
    case onednn
}

/// The number format of the matrix products' inputs.
public enum Precision: String, CaseIterable, Sendable, Codable {
    /// Everything in float32.
    case fp32
    /// Mixed precision: bfloat16 weights (converted once per step from the float32 master
    /// copy), activations and deltas as products' inputs, float32 accumulation, float32
    /// master weights, optimizer state, loss and gradients.
    case bf16
}

/// Which kernels and number format a model's forward and backward passes use.
public struct ComputeKernels: Sendable, Equatable, CustomStringConvertible {
    public let library: KernelLibrary
    public let precision: Precision

    /// OpenBLAS in float32: the kernels every build has.
    public static let openblas = ComputeKernels(uncheckedLibrary: .openblas, precision: .fp32)

    private init(uncheckedLibrary library: KernelLibrary, precision: Precision) {
        self.library = library
        self.precision = precision
    }

    /// Checks that this machine can run `library` in `precision` and returns the choice.
    ///
    /// - Parameters:
    ///   - library: nil picks the faster where both exist: oneDNN at one thread per rank (12-15%
    ///     faster than OpenBLAS here), OpenBLAS at more (oneDNN's threading of these small
    ///     products made an epoch slower on 2 threads than on 1: 1.00-1.34 s against 0.81; OpenBLAS
    ///     0.72 against 0.97). bfloat16 always needs oneDNN.
    ///   - threads: the threads each rank's products may use (`--blas-threads`).
    /// - Throws: `KernelError` with one line saying what is missing and what to do.
    public static func resolve(library: KernelLibrary?, precision: Precision, threads: Int = 1) throws -> ComputeKernels {
        if let problem = VectorPasses.capProblem { throw KernelError(message: problem) }
        let chosen = library ?? (precision == .bf16 || (threads == 1 && OneDNN.isAvailable) ? .onednn : .openblas)
        switch (chosen, precision) {
        case (.openblas, .bf16):
            throw KernelError(message: "--precision bf16 needs --kernels onednn (OpenBLAS computes in float32 only)")
        case (.openblas, .fp32):
            break
        case (.onednn, _):
            let info: OneDNN.Info
            do {
                info = try OneDNN.load()
            } catch let error as KernelError {
                let option = library == .onednn ? "--kernels onednn" : "--precision bf16 needs oneDNN"
                throw KernelError(message: "\(option): \(error.message)")
            }
            if precision == .bf16 && !info.nativeBFloat16 {
                let environment = ProcessInfo.processInfo.environment
                let limit = ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MNIST_MPI_MAX_ISA"]
                    .compactMap { name in environment[name].map { " (\(name)=\($0))" } }.joined()
                throw KernelError(message: "--precision bf16 needs a CPU that computes bfloat16 natively (AVX512_BF16 or AMX); "
                    + "oneDNN runs \(info.isa) kernels here\(limit): use --precision fp32")
            }
        }
        return ComputeKernels(uncheckedLibrary: chosen, precision: precision)
    }

    /// E.g. "onednn bf16".
    public var description: String { "\(library.rawValue) \(precision.rawValue)" }
}

/// Why the requested kernels cannot run here (one line, with what to do).
public struct KernelError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// oneDNN as this process sees it: loaded on first use from libdnnl.so.2.
public enum OneDNN {
    /// What the loaded library runs on.
    public struct Info: Sendable {
        /// E.g. "2.6.3".
        public let version: String
        /// The instruction set of its kernels here, e.g. "avx512_core_bf16".
        public let isa: String
        /// The CPU has AVX512_BF16 or AMX (bfloat16 products at least at float32's rate).
        public let nativeBFloat16: Bool
    }

    /// Loads the library (once) and describes it.
    ///
    /// - Throws: `KernelError` when libdnnl.so.2 is missing or the build had no oneDNN header.
    public static func load() throws -> Info {
        var message = [CChar](repeating: 0, count: 256)
        guard onednn_load(&message, message.count) == 0 else {
            throw KernelError(message: text(of: message))
        }
        return Info(
            version: String(cString: onednn_version()), isa: String(cString: onednn_isa()),
            nativeBFloat16: onednn_native_bf16() != 0)
    }

    /// The NUL-terminated text the C layer wrote into `message`.
    static func text(of message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether oneDNN loads in this process.
    public static var isAvailable: Bool { (try? load()) != nil }

    /// Sets how many threads oneDNN's kernels use (one per rank when ranks fill the cores).
    public static func setThreads(_ count: Int) {
        onednn_set_threads(Int32(clamping: count))
    }
}
