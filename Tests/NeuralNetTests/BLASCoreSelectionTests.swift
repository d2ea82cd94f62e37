import Foundation
import Testing

@testable import NeuralNet

/// The decision to restart with a better OpenBLAS kernel: only for a known generic fallback on a
/// CPU that offers more, never over the user's own OPENBLAS_CORETYPE.
struct BLASCoreSelectionTests {
    let sapphireRapids: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx512_bf16"]
    let zen3: Set<String> = ["sse3", "avx", "avx2", "fma"]

    @Test func prescottFallbackOnAnAVX512CPUIsReplacedBySkylakeX() {
        #expect(BLASCoreSelection.coreTypeToRequest(activeCore: "Prescott", cpuFlags: sapphireRapids, environment: [:]) == "SkylakeX")
    }

    @Test func prescottFallbackOnAnAVX2CPUIsReplacedByHaswell() {
        #expect(BLASCoreSelection.coreTypeToRequest(activeCore: "Prescott", cpuFlags: zen3, environment: [:]) == "Haswell")
    }

    @Test func aMatchingOrBetterCoreStands() {
        #expect(BLASCoreSelection.coreTypeToRequest(activeCore: "Haswell", cpuFlags: zen3, environment: [:]) == nil)
        #expect(BLASCoreSelection.coreTypeToRequest(activeCore: "Zen", cpuFlags: zen3, environment: [:]) == nil)
        #expect(BLASCoreSelection.coreTypeToRequest(activeCore: "SkylakeX", cpuFlags: sapphireRapids, environment: [:]) == nil)
    }

    @Test func theUsersCoreTypeAlwaysStands() {
        #expect(BLASCoreSelection.coreTypeToRequest(
            activeCore: "Prescott", cpuFlags: sapphireRapids, environment: ["OPENBLAS_CORETYPE": "Prescott"]) == nil)
    }

    /// MNIST_MPI_MAX_ISA narrows OpenBLAS's kernels as it narrows the rest: an AVX-512 core is
    /// replaced by the capped level's, a narrower CPU or core is left as it is, and the user's
    /// OPENBLAS_CORETYPE still wins.
    @Test func theProjectCapNarrowsTheCore() {
        #expect(BLASCoreSelection.coreTypeToRequest(
            activeCore: "Cooperlake", cpuFlags: sapphireRapids, environment: ["MNIST_MPI_MAX_ISA": "avx2"]) == "Haswell")
        #expect(BLASCoreSelection.coreTypeToRequest(
            activeCore: "SkylakeX", cpuFlags: sapphireRapids, environment: ["MNIST_MPI_MAX_ISA": "sse2"]) == "Prescott")
        #expect(BLASCoreSelection.coreTypeToRequest(
            activeCore: "Haswell", cpuFlags: zen3, environment: ["MNIST_MPI_MAX_ISA": "avx2"]) == nil)
        #expect(BLASCoreSelection.coreTypeToRequest(
            activeCore: "Prescott", cpuFlags: sapphireRapids, environment: ["MNIST_MPI_MAX_ISA": "avx2"]) == "Haswell")
        #expect(BLASCoreSelection.coreTypeToRequest(
            activeCore: "SkylakeX", cpuFlags: sapphireRapids, environment: ["MNIST_MPI_MAX_ISA": "avx512"]) == nil)
        #expect(BLASCoreSelection.coreTypeToRequest(
            activeCore: "Cooperlake", cpuFlags: sapphireRapids,
            environment: ["MNIST_MPI_MAX_ISA": "avx2", "OPENBLAS_CORETYPE": "Cooperlake"]) == nil)
    }

    @Test func anUnknownCoreNameIsLeftAlone() {
        #expect(BLASCoreSelection.coreTypeToRequest(activeCore: "NeoverseN1", cpuFlags: sapphireRapids, environment: [:]) == nil)
    }

    @Test func partialAVX512IsTreatedAsAVX2() {
        #expect(BLASCoreSelection.level(ofCPUFlags: zen3.union(["avx512f"])) == .avx2)
    }

    @Test func flagsAreReadFromACpuinfoFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cpuinfo-\(UUID().uuidString)").path
        try "processor\t: 0\nflags\t\t: fpu sse3 avx avx2 fma\nbugs\t\t: spectre_v1\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(BLASCoreSelection.cpuFlags(cpuinfo: path) == ["fpu", "sse3", "avx", "avx2", "fma"])
    }
}
