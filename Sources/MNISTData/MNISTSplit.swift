/// Which half of an MNIST-format data set: the training or the test files.
public enum MNISTSplit: String, Sendable {
    case train
    case test

    /// The file-name stem of the images file (`train-images-idx3-ubyte`).
    public var imagesStem: String { self == .train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte" }
    /// The file-name stem of the labels file (`train-labels-idx1-ubyte`).
    public var labelsStem: String { self == .train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte" }
}
