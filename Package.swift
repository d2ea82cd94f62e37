// swift-tools-version:5.10
// mnist-mpi: a data-parallel MLP trainer for MNIST in Swift on MPI (OpenMPI + OpenBLAS).
import PackageDescription

let package = Package(
    name: "mnist-mpi",
    products: [
        .executable(name: "mnist-mpi", targets: ["mnist-mpi"]),
        // libFuzzer targets (scripts/fuzz.sh); built normally, it replays inputs.
        .executable(name: "mnist-mpi-fuzz", targets: ["mnist-mpi-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - System libraries (found through pkg-config, never absolute paths)
        .systemLibrary(
            name: "CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // C beside OpenMPI: the bfloat16 sum MPI_Op and a plain C allreduce timer.
        .target(name: "CMPIExtras", dependencies: ["CMPI"]),
        // The SIGTERM/SIGINT flag (a C signal handler; Swift cannot declare sig_atomic_t).
        .target(name: "CStopSignal"),
        // Flush-to-zero and denormals-are-zero (MXCSR), which Swift cannot set.
        .target(name: "CFloatControl"),

        // MARK: - Libraries
        // Only MPI imports CMPI (and CMPIExtras); NeuralNet and MNISTData know nothing of MPI;
        // only Training joins model, data and communicator.
        .target(name: "MPI", dependencies: ["CMPI", "CMPIExtras"]),
        .target(name: "NeuralNet", dependencies: ["CBLAS", "CFloatControl"]),
        .target(name: "MNISTData", dependencies: ["CZlib"]),
        // What a run writes and prints: the logger, the live line, metrics and summary files,
        // TensorBoard event files and the timeline (no MPI, no model).
        .target(name: "RunOutput"),
        .target(name: "Training", dependencies: ["MPI", "NeuralNet", "MNISTData", "RunOutput", "CStopSignal"]),
        // The collective self-test and the micro-benchmarks (sgemm floor, allreduce timings).
        .target(name: "Diagnostics", dependencies: ["MPI", "NeuralNet"]),

        // MARK: - Command-line tool (parsing only)
        .executableTarget(
            name: "mnist-mpi",
            dependencies: [
                "Training", "RunOutput", "Diagnostics", "MPI", "NeuralNet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // The IDX reader, the checkpoint decoder and the options' validation as libFuzzer targets.
        .executableTarget(name: "mnist-mpi-fuzz", dependencies: ["Training", "NeuralNet", "MNISTData"]),

        // MARK: - Tests (Swift Testing)
        .testTarget(name: "MPITests", dependencies: ["MPI"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet"]),
        .testTarget(name: "MNISTDataTests", dependencies: ["MNISTData", "TestSupport"]),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics"]),
        .testTarget(name: "RunOutputTests", dependencies: ["RunOutput"]),
        // Multi-rank tests launch `mpirun -np N mnist-mpi ...`; depending on the executable
        // makes `swift test` build it first.
        .testTarget(name: "TrainingTests", dependencies: ["Training", "RunOutput", "mnist-mpi", "TestSupport"]),
        // Fixture writers and the mpirun launcher shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
    ]
)
