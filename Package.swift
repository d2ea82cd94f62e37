// swift-tools-version:5.10
// mnist-mpi: a data-parallel MLP trainer for MNIST in Swift on MPI (Open MPI or MPICH, OpenBLAS),
// and SwiftMPI, its MPI layer, as a library other packages can use.
import Foundation
import PackageDescription

/// The MPI implementation to build against: MPI=openmpi (default, Debian's libopenmpi-dev) or
/// MPI=mpich (libmpich-dev). Build each into its own folder: scripts/lib/setup.sh uses
/// .build for Open MPI and .build-mpich for MPICH.
let mpi = ProcessInfo.processInfo.environment["MPI"] ?? "openmpi"
let mpich = mpi == "mpich"

let package = Package(
    name: "mnist-mpi",
    products: [
        .executable(name: "mnist-mpi", targets: ["mnist-mpi"]),
        // The MPI layer for other Swift packages: communicators, collectives, shared-memory
        // windows, checked errors (DocC: swift package generate-documentation --target SwiftMPI).
        .library(name: "SwiftMPI", targets: ["SwiftMPI"]),
        // An allreduce ping that uses only SwiftMPI: mpirun -np 2 .build/release/mpi-ping
        .executable(name: "mpi-ping", targets: ["mpi-ping"]),
        // libFuzzer targets (scripts/fuzz.sh); built normally, it replays inputs.
        .executable(name: "mnist-mpi-fuzz", targets: ["mnist-mpi-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // MARK: - System libraries (found through pkg-config, never absolute paths)
        .systemLibrary(
            name: "CMPI", pkgConfig: mpich ? "mpich" : "ompi-c",
            providers: [.apt(mpich ? ["libmpich-dev", "mpich"] : ["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // libpng's simplified API (png_image_*): `predict` reads PNG digits with it.
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),

        // The widest instruction set the project's own C code may use: the CPU's, capped by
        // MNIST_MPI_MAX_ISA (avx512, avx2, sse2) so that one machine tests every path.
        .target(name: "CInstructionSets"),
        // One bfloat16 rounding rule (header-only) for the wire and the kernels.
        .target(name: "CBFloat16"),
        // One IEEE float16 rounding rule (F16C where the CPU has it and the cap allows it, the
        // same bits without).
        .target(name: "CFloat16", dependencies: ["CInstructionSets"]),
        // C beside MPI: the bfloat16 and float16 sum MPI_Ops, a plain C allreduce timer, the
        // stall watchdog.
        .target(name: "CMPIExtras", dependencies: ["CMPI", "CBFloat16", "CFloat16"]),
        // The SIGTERM/SIGINT flag (a C signal handler; Swift cannot declare sig_atomic_t).
        .target(name: "CStopSignal"),
        // Flush-to-zero and denormals-are-zero (MXCSR), which Swift cannot set.
        .target(name: "CFloatControl"),
        // The step's element-wise passes and pooling, one clone per instruction set (AVX-512,
        // AVX2, SSE2) picked for the CPU and the cap, all computing the same bits (no contraction).
        .target(name: "CElementwise", dependencies: ["CInstructionSets"]),
        // oneDNN's matmul primitives and bfloat16 conversions. libdnnl.so.2 is opened at run time
        // (dlopen), so the binary runs with OpenBLAS where oneDNN is missing; its 2.x header
        // (libdnnl-dev) is used at build time where present.
        .target(name: "COneDNN", dependencies: ["CBFloat16", "CInstructionSets"], linkerSettings: [.linkedLibrary("dl")]),

        // MARK: - Libraries
        // Only SwiftMPI imports CMPI (and CMPIExtras); NeuralNet and MNISTData know nothing of
        // MPI; only Training joins model, data and communicator. MPICH's handles are integers
        // where Open MPI's are pointers: SwiftMPI's MPIHandles.swift chooses by the MPICH flag.
        .target(
            name: "SwiftMPI", dependencies: ["CMPI", "CMPIExtras"],
            swiftSettings: mpich ? [.define("MPICH")] : []),
        .target(name: "NeuralNet", dependencies: ["CBLAS", "CFloatControl", "COneDNN", "CElementwise", "CInstructionSets"]),
        .target(name: "MNISTData", dependencies: ["CZlib"]),
        // What a run writes and prints: the logger, the live line, metrics and summary files,
        // TensorBoard event files and the timeline (no MPI, no model).
        .target(name: "RunOutput"),
        .target(name: "Training", dependencies: ["SwiftMPI", "NeuralNet", "MNISTData", "RunOutput", "CStopSignal"]),
        // The collective self-test and the micro-benchmarks (sgemm floor, allreduce timings).
        .target(name: "Diagnostics", dependencies: ["SwiftMPI", "NeuralNet"]),
        // A trained MLP as ONNX (protocol buffers through RunOutput's encoder) or safetensors.
        .target(name: "ModelExport", dependencies: ["NeuralNet", "RunOutput"]),
        // `mnist-mpi elastic`: the supervisor that relaunches a job on the hosts that answer.
        .target(name: "Elastic", dependencies: ["Training", "RunOutput", "CStopSignal"]),
        // PNG and PGM digits brought to MNIST's form (grey, fitted in 20x20, centred by mass).
        .target(name: "DigitImages", dependencies: ["CPNG"]),

        // MARK: - Command-line tool (parsing only)
        .executableTarget(
            name: "mnist-mpi",
            dependencies: [
                "Training", "RunOutput", "Diagnostics", "SwiftMPI", "NeuralNet", "MNISTData",
                "ModelExport", "DigitImages", "Elastic",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // The IDX reader, the checkpoint decoder, the options' validation and the image decoders
        // as libFuzzer targets.
        .executableTarget(name: "mnist-mpi-fuzz", dependencies: ["Training", "NeuralNet", "MNISTData", "DigitImages"]),

        // The library's example: an allreduce ping using SwiftMPI alone.
        .executableTarget(name: "mpi-ping", dependencies: ["SwiftMPI"], path: "Examples/mpi-ping"),

        // MARK: - Tests (Swift Testing)
        .testTarget(name: "MPITests", dependencies: ["SwiftMPI"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "TestSupport"]),
        .testTarget(name: "MNISTDataTests", dependencies: ["MNISTData", "TestSupport"]),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics", "NeuralNet"]),
        .testTarget(name: "RunOutputTests", dependencies: ["RunOutput"]),
        .testTarget(name: "ModelExportTests", dependencies: ["ModelExport", "NeuralNet", "RunOutput"]),
        .testTarget(name: "DigitImagesTests", dependencies: ["DigitImages"]),
        .testTarget(name: "ElasticTests", dependencies: ["Elastic", "Training"]),
        // Multi-rank tests launch `mpirun -np N mnist-mpi ...`; depending on the executable
        // makes `swift test` build it first.
        .testTarget(name: "TrainingTests", dependencies: ["Training", "NeuralNet", "MNISTData", "RunOutput", "DigitImages", "mnist-mpi", "TestSupport"]),
        // Fixture writers and the mpirun launcher shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
    ]
)
