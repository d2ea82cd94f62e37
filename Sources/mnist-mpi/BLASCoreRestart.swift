// Restarts the process once with a better OPENBLAS_CORETYPE when OpenBLAS fell back to a generic
// kernel on a CPU it does not know (see NeuralNet's BLASCoreSelection). It must happen before
// MPI starts: the process keeps its pid and environment, so mpirun and Slurm see the same rank.
import Foundation
import NeuralNet

enum BLASCoreRestart {
    /// Set on the restarted process: the core OpenBLAS had chosen by itself.
    static let replacedCoreVariable = "MNIST_MPI_BLAS_REPLACED_CORE"

    /// Replaces this process with itself under `OPENBLAS_CORETYPE=<better core>` when that helps;
    /// returns (doing nothing) when OpenBLAS's choice stands or the restart cannot be made.
    static func restartIfBetterCoreExists() {
        let environment = ProcessInfo.processInfo.environment
        let active = BLASCoreSelection.activeCore
        guard environment[replacedCoreVariable] == nil,
            let better = BLASCoreSelection.coreTypeToRequest(
                activeCore: active, cpuFlags: BLASCoreSelection.cpuFlags(), environment: environment)
        else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        setenv(replacedCoreVariable, active, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: carry on with OpenBLAS's own choice.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(replacedCoreVariable)
    }
}
