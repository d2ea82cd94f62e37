import Foundation
import NeuralNet
import TestSupport
import Testing

/// --kernels and --precision under mpirun on a subset of the real MNIST: oneDNN and OpenBLAS
/// train alike, bfloat16 keeps ranks identical, learns and resumes in float32, and the choices a
/// machine cannot run end every rank with one line.
@Suite(.serialized, .enabled(if: OneDNN.isAvailable, "oneDNN (libdnnl.so.2) does not load here"))
struct KernelChoiceTests {
    static let nativeBFloat16 = (try? OneDNN.load().nativeBFloat16) ?? false

    /// 6,000 training images: 30 steps an epoch at 2 ranks.
    private var small: [String] {
        ["--data", MPIJob.mnistDirectory, "--train-limit", "6000", "--test-limit", "1000", "--eval-every", "0"]
    }

    @Test func oneDNNAndOpenBLASTrainAlike() throws {
        let blas = try MPIJob.trainSummary(ranks: 2, small + ["--epochs", "2", "--kernels", "openblas"])
        let dnnl = try MPIJob.trainSummary(ranks: 2, small + ["--epochs", "2", "--kernels", "onednn"])
        #expect(blas["kernels"] as? String == "openblas")
        #expect(dnnl["kernels"] as? String == "onednn")
        #expect(dnnl["precision"] as? String == "fp32")
        #expect((dnnl["kernel_implementations"] as? [String])?.isEmpty == false)
        // What decides speed is in the summary, the MPI library too (these tests launch Open MPI).
        #expect((dnnl["mpi_library"] as? String)?.hasPrefix("Open MPI") == true, "\(dnnl["mpi_library"] ?? "none")")
        let blasCost = try #require(blas["final_cost"] as? Double), dnnlCost = try #require(dnnl["final_cost"] as? Double)
        #expect(abs(blasCost - dnnlCost) < 1e-3 * blasCost, "final cost OpenBLAS \(blasCost), oneDNN \(dnnlCost)")
        let blasAccuracy = try #require(blas["test_accuracy"] as? Double)
        let dnnlAccuracy = try #require(dnnl["test_accuracy"] as? Double)
        #expect(abs(blasAccuracy - dnnlAccuracy) <= 0.005, "OpenBLAS \(blasAccuracy), oneDNN \(dnnlAccuracy)")
    }

    /// The dense preset (bfloat16 between layers) and LeNet-5 (bfloat16 inside its convolutions'
    /// primitives, float32 dense layers and pooling).
    @Test(.enabled(if: nativeBFloat16, "the CPU has neither AVX512_BF16 nor AMX"), arguments: ["improved", "lenet5"])
    func bfloat16KeepsRanksIdenticalLearnsAndResumesInFloat32(preset: String) throws {
        let folder = try MPIJob.temporaryDirectory("bf16")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let mixed = try MPIJob.trainSummary(ranks: 2, small + [
            "--epochs", "2", "--preset", preset, "--precision", "bf16", "--checkpoint", folder + "/ck",
        ], environment: MPIJob.rankParametersHook(folder))
        #expect(mixed["precision"] as? String == "bf16")
        let implementations = mixed["kernel_implementations"] as? [String] ?? []
        #expect(implementations.contains { $0.contains("bf16") }, "\(implementations)")
        // `evaluate --precision bf16` counts what the run counted.
        let correct = try #require(mixed["test_correct"] as? Int)
        let evaluated = try MPIJob.runAlone([
            "evaluate", "--checkpoint", folder + "/ck", "--data", MPIJob.mnistDirectory, "--test-limit", "1000",
            "--precision", "bf16",
        ])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.contains("(\(correct) of 1000)"), "\(evaluated.stdout)")
        let rank0 = try Data(contentsOf: URL(fileURLWithPath: folder + "/rank-0.f32"))
        let rank1 = try Data(contentsOf: URL(fileURLWithPath: folder + "/rank-1.f32"))
        #expect(firstDifference(rank0, rank1) == "identical", "ranks' parameters after bfloat16 training")
        let single = try MPIJob.trainSummary(ranks: 2, small + ["--epochs", "2", "--preset", preset])
        let mixedAccuracy = try #require(mixed["test_accuracy"] as? Double)
        let singleAccuracy = try #require(single["test_accuracy"] as? Double)
        #expect(mixedAccuracy > 0.85, "bfloat16 reached \(mixedAccuracy)")
        #expect(abs(mixedAccuracy - singleAccuracy) < 0.02, "bfloat16 \(mixedAccuracy), float32 \(singleAccuracy)")
        // The float32 checkpoint of a bfloat16 run resumes in float32.
        let resumed = try MPIJob.trainSummary(ranks: 2, small + [
            "--epochs", "3", "--preset", preset, "--checkpoint", folder + "/ck", "--resume",
        ])
        #expect(resumed["epochs_run"] as? Int == 1)
        #expect((resumed["test_accuracy"] as? Double ?? 0) > 0.85)
    }

    @Test func unrunnableChoicesEndEveryRankWithOneLine() throws {
        let blas = try MPIJob.run(ranks: 2, ["train"] + small + ["--kernels", "openblas", "--precision", "bf16"])
        #expect(blas.status != 0)
        #expect(blas.errorLines.count == 1, "\(blas.stderr)")
        #expect(blas.stderr.contains("--precision bf16 needs --kernels onednn"), "\(blas.stderr)")
        // oneDNN limited to AVX-512 without bfloat16: what a CPU without AVX512_BF16 or AMX does.
        let limited = try MPIJob.run(
            ranks: 2, ["train"] + small + ["--precision", "bf16"], environment: ["DNNL_MAX_CPU_ISA": "AVX512_CORE"])
        #expect(limited.status != 0)
        #expect(limited.errorLines.count == 1, "\(limited.stderr)")
        #expect(limited.stderr.contains("needs a CPU that computes bfloat16 natively"), "\(limited.stderr)")
        #expect(!limited.timedOut)
    }
}
