/// How the learning rate follows the global batch (Goyal et al., 2017).
public enum LearningRateScaling: String, Codable, Sendable, CaseIterable {
    /// The learning rate as given, whatever the rank count.
    case none
    /// Weak scaling: the learning rate times the rank count (the global batch grew that much),
    /// reached gradually over `--warmup-epochs`. Strong scaling keeps the global batch, so the
    /// factor is 1 there.
    case linear
}

/// How the learning rate falls after warmup.
public enum LearningRateDecay: String, Codable, Sendable, CaseIterable {
    /// Constant.
    case none
    /// A half cosine from the peak rate to zero at the last step.
    case cosine
}

/// Who computes the test accuracy.
public enum EvaluationMode: String, Codable, Sendable, CaseIterable {
    /// Rank 0 alone on the whole test set (as the original program).
    case rank0
    /// Every rank a contiguous slice; the counts are summed over ranks.
    case sharded
}

/// The data sets the trainer knows: same IDX format, 28×28 images, 10 classes.
public enum Dataset: String, Codable, Sendable, CaseIterable {
    case mnist
    case fashionMNIST = "fashion-mnist"

    /// The folder `scripts/fetch-mnist.sh` fills for it.
    public var defaultDirectory: String { "data/\(rawValue)" }

    /// The names of the ten classes, for the confusion matrix.
    public var classNames: [String] {
        switch self {
        case .mnist: return (0...9).map(String.init)
        case .fashionMNIST:
            return ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                    "Bag", "Boot"]
        }
    }
}

/// How the gradients are summed over ranks.
public enum AllReduceMethod: String, Codable, Sendable, CaseIterable {
    /// Shared memory within nodes (hierarchical across nodes) when the nodes hold equal rank
    /// counts and overlap and compression are off; else MPI_Allreduce.
    case automatic = "auto"
    /// Always MPI_Allreduce.
    case mpi
    /// MPI-3 shared-memory windows, summed in place, MPI across nodes.
    case sharedMemory = "shared-memory"
}
