import CBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Updates a flat parameter buffer from a flat gradient buffer; its state (momentum, Adam's
/// moments) lives in flat buffers of the same layout.
///
/// Every rank holds its own optimizer and feeds it the same averaged gradient, so the state
/// stays identical on every rank without being communicated.
public final class Optimizer {
    public let configuration: OptimizerConfiguration
    /// `[n]` momentum velocity, or Adam's first moment (empty for SGD).
    public let firstMoment: FloatBuffer
    /// `[n]` Adam's second moment (empty otherwise).
    public let secondMoment: FloatBuffer
    /// Updates applied so far (Adam's bias correction uses it).
    public private(set) var stepCount = 0

    /// An optimizer for `parameterCount` parameters with zeroed state.
    public init(_ configuration: OptimizerConfiguration, parameterCount: Int) {
        self.configuration = configuration
        let needsFirst = configuration.kind != .sgd
        firstMoment = FloatBuffer(count: needsFirst ? parameterCount : 0)
        secondMoment = FloatBuffer(count: configuration.kind == .adam ? parameterCount : 0)
    }

    /// Restores the step count (with the moment buffers, from a checkpoint).
    public func restore(stepCount: Int) {
        self.stepCount = stepCount
    }

    /// Applies one update.
    ///
    /// - Parameters:
    ///   - parameters: `[n]`, updated in place.
    ///   - gradients: `[n]` gradients, e.g. summed over ranks.
    ///   - gradientScale: multiplies the gradients first (1 / ranks for a summed gradient).
    ///   - learningRate: this step's learning rate (schedules and warmup live outside).
    public func step(
        parameters: FloatBuffer, gradients: FloatBuffer, gradientScale: Float, learningRate: Float
    ) {
        precondition(parameters.count == gradients.count, "parameter and gradient sizes differ")
        stepCount += 1
        let count = parameters.count
        let p = parameters.pointer
        let g = gradients.pointer
        let scale = gradientScale
        let decay = Float(configuration.weightDecay)
        switch configuration.kind {
        case .sgd where decay == 0:
            cblas_saxpy(Int32(count), -learningRate * scale, g, 1, p, 1)
        case .sgd:
            for i in 0..<count { p[i] -= learningRate * (scale * g[i] + decay * p[i]) }
        case .momentum:
            let mu = Float(configuration.momentum)
            let v = firstMoment.pointer
            if configuration.nesterov {
                for i in 0..<count {
                    let gradient = scale * g[i] + decay * p[i]
                    v[i] = mu * v[i] + gradient
                    p[i] -= learningRate * (gradient + mu * v[i])
                }
            } else {
                for i in 0..<count {
                    v[i] = mu * v[i] + scale * g[i] + decay * p[i]
                    p[i] -= learningRate * v[i]
                }
            }
        case .adam:
            let t = Double(stepCount)
            // Bias corrections folded into the step size and epsilon (as in PyTorch's Adam).
            let correction1 = 1 - pow(configuration.beta1, t)
            let correction2 = 1 - pow(configuration.beta2, t)
            adamUpdate(
                p, g, count: count, scale: scale, decay: decay,
                stepSize: learningRate / Float(correction1),
                inverseRoot2: 1 / Float(correction2.squareRoot()))
        }
    }

    /// Adam's moment and parameter update, eight lanes at a time (unaligned loads: the
    /// gradients may live in memory MPI allocated), then the remainder one by one.
    private func adamUpdate(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count: Int,
        scale: Float, decay: Float, stepSize: Float, inverseRoot2: Float
    ) {
        let beta1 = Float(configuration.beta1), beta2 = Float(configuration.beta2)
        let epsilon = Float(configuration.epsilon)
        let m = firstMoment.pointer, v = secondMoment.pointer
        typealias Lanes = SIMD8<Float>
        let width = MemoryLayout<Lanes>.stride
        let vectorCount = count / Lanes.scalarCount
        let pr = UnsafeMutableRawPointer(p), gr = UnsafeRawPointer(g)
        let mr = UnsafeMutableRawPointer(m), vr = UnsafeMutableRawPointer(v)
        for i in 0..<vectorCount {
            let offset = i * width
            let parameter = pr.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            let gradient = scale * gr.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + decay * parameter
            let first = beta1 * mr.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + (1 - beta1) * gradient
            let second = beta2 * vr.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
                + (1 - beta2) * gradient * gradient
            mr.storeBytes(of: first, toByteOffset: offset, as: Lanes.self)
            vr.storeBytes(of: second, toByteOffset: offset, as: Lanes.self)
            let update = stepSize * first / (second.squareRoot() * inverseRoot2 + epsilon)
            pr.storeBytes(of: parameter - update, toByteOffset: offset, as: Lanes.self)
        }
        for i in (vectorCount * Lanes.scalarCount)..<count {
            let gradient = scale * g[i] + decay * p[i]
            m[i] = beta1 * m[i] + (1 - beta1) * gradient
            v[i] = beta2 * v[i] + (1 - beta2) * gradient * gradient
            p[i] -= stepSize * m[i] / (v[i].squareRoot() * inverseRoot2 + epsilon)
        }
    }
}
