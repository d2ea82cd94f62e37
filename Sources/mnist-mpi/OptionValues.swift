import ArgumentParser
import NeuralNet
import MNISTData
import Training

/// The named starting points of `--preset`.
enum Preset: String, ExpressibleByArgument, CaseIterable {
    case seed
    case improved
    case lenet5

    var configuration: TrainingConfiguration {
        switch self {
        case .seed: return .seed
        case .improved: return .improved
        case .lenet5: return .lenet5
        }
    }
}


/// The names `--init` takes.
enum InitializerName: String, ExpressibleByArgument, CaseIterable {
    case normal
    case xavier
    case he

    func initializer(standardDeviation: Double) -> Initializer {
        switch self {
        case .normal: return .normal(standardDeviation: standardDeviation)
        case .xavier: return .xavier
        case .he: return .he
        }
    }
}

extension Activation: ExpressibleByArgument {}
extension OptimizerConfiguration.Kind: ExpressibleByArgument {}
extension LearningRateScaling: ExpressibleByArgument {}
extension LearningRateDecay: ExpressibleByArgument {}
extension EvaluationMode: ExpressibleByArgument {}
extension Dataset: ExpressibleByArgument {}
extension AllReduceMethod: ExpressibleByArgument {}
extension GradientCompression: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}

/// The names `--kernels` takes: a library, or auto (oneDNN where it loads).
enum KernelChoice: String, ExpressibleByArgument, CaseIterable {
    case auto
    case openblas
    case onednn

    var library: KernelLibrary? { KernelLibrary(rawValue: rawValue) }
}
extension CheckpointCopies: ExpressibleByArgument {}
extension ProgressMode: ExpressibleByArgument {}
