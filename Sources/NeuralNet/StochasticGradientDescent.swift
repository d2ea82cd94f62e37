import CBLAS

/// Plain SGD on flat buffers: parameters -= learningRate · gradientScale · gradients.
///
/// The gradient scale lets the trainer fold the 1/ranks of gradient averaging into the update,
/// so the allreduce can be a plain sum and no extra pass over the buffer is needed.
public struct StochasticGradientDescent: Sendable {
    public var learningRate: Float

    public init(learningRate: Float) {
        self.learningRate = learningRate
    }

    /// Applies one update (`cblas_saxpy`).
    ///
    /// - Parameters:
    ///   - parameters: `[n]`, updated in place.
    ///   - gradients: `[n]` the (summed or averaged) gradients.
    ///   - gradientScale: multiplies the gradients (1 / ranks for a summed gradient).
    public func step(parameters: FloatBuffer, gradients: FloatBuffer, gradientScale: Float = 1) {
        precondition(parameters.count == gradients.count, "parameter and gradient sizes differ")
        cblas_saxpy(
            Int32(parameters.count), -learningRate * gradientScale, gradients.pointer, 1,
            parameters.pointer, 1)
    }
}
