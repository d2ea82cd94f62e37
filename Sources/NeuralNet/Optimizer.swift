import CElementwise
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
    /// Updates applied so far (Adam's and LAMB's bias correction use it).
    public private(set) var stepCount = 0
    /// The tensors LARS and LAMB take trust ratios over.
    public let segments: [ParameterSegment]

    /// An optimizer for `parameterCount` parameters with zeroed state.
    ///
    /// - Parameters:
    ///   - segments: the tensors in the flat buffer, for LARS and LAMB (e.g.
    ///     `NetworkLayout.parameterSegments`); nil: one adapted tensor of all parameters.
    public init(_ configuration: OptimizerConfiguration, parameterCount: Int, segments: [ParameterSegment]? = nil) {
        self.configuration = configuration
        let needsFirst = configuration.kind != .sgd
        let needsSecond = configuration.kind == .adam || configuration.kind == .lamb
        firstMoment = FloatBuffer(count: needsFirst ? parameterCount : 0)
        secondMoment = FloatBuffer(count: needsSecond ? parameterCount : 0)
        self.segments = segments ?? [ParameterSegment(range: 0..<parameterCount, isAdapted: true)]
        precondition(self.segments.allSatisfy { $0.range.lowerBound >= 0 && $0.range.upperBound <= parameterCount },
                     "parameter segments outside the buffer")
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
        // The element-wise updates run in C, vectorised for the CPU at hand (CElementwise).
        case .sgd:
            ew_sgd_decay(p, g, count, scale, decay, learningRate)
        case .momentum:
            let mu = Float(configuration.momentum)
            let v = firstMoment.pointer
            if configuration.nesterov {
                ew_nesterov(p, g, v, count, scale, decay, mu, learningRate)
            } else {
                ew_momentum(p, g, v, count, scale, decay, mu, learningRate)
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
        case .lars:
            for segment in segments {
                larsUpdate(p, g, segment: segment, scale: scale, decay: decay, learningRate: learningRate)
            }
        case .lamb:
            let t = Double(stepCount)
            let correction1 = Float(1 - pow(configuration.beta1, t))
            let correction2 = Float(1 - pow(configuration.beta2, t))
            for segment in segments {
                lambUpdate(
                    p, g, segment: segment, scale: scale, decay: decay, learningRate: learningRate,
                    correction1: correction1, correction2: correction2)
            }
        }
    }

    /// The trust ratio numerator / denominator, or 1 when either norm is zero (a layer at zero,
    /// or no gradient) or the segment is not adapted.
    private static func trustRatio(_ numerator: Float, _ denominator: Float, adapted: Bool) -> Float {
        guard adapted, numerator > 0, denominator > 0, numerator.isFinite, denominator.isFinite else { return 1 }
        return numerator / denominator
    }

    private typealias Lanes = SIMD8<Float>
    private static let laneBytes = MemoryLayout<Lanes>.stride

    /// The lanes' sum in double precision (the same order on every rank, so the same result).
    private static func total(_ lanes: Lanes) -> Double {
        var sum = 0.0
        for lane in 0..<Lanes.scalarCount { sum += Double(lanes[lane]) }
        return sum
    }

    /// LARS on one tensor: d = s·g + λw (λ on weights only), trust = η‖w‖ / ‖d‖,
    /// v = μv + lr·trust·d, w -= v. Eight lanes at a time (unaligned: the gradients may live in
    /// memory MPI allocated), then the remainder.
    private func larsUpdate(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, segment: ParameterSegment,
        scale: Float, decay: Float, learningRate: Float
    ) {
        let start = segment.range.lowerBound, count = segment.range.count
        let w = p + start, gradient = g + start, v = firstMoment.pointer + start
        let wr = UnsafeMutableRawPointer(w), gr = UnsafeRawPointer(gradient), vr = UnsafeMutableRawPointer(v)
        let lambda = segment.isAdapted ? decay : 0
        let vectorCount = count / Lanes.scalarCount, tail = vectorCount * Lanes.scalarCount
        var weightSquares = Lanes(), directionSquares = Lanes()
        for i in 0..<vectorCount {
            let offset = i * Self.laneBytes
            let weight = wr.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            let direction = scale * gr.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + lambda * weight
            weightSquares += weight * weight
            directionSquares += direction * direction
        }
        var weightSum = Self.total(weightSquares), directionSum = Self.total(directionSquares)
        for i in tail..<count {
            let direction = scale * gradient[i] + lambda * w[i]
            weightSum += Double(w[i] * w[i])
            directionSum += Double(direction * direction)
        }
        let trust = Self.trustRatio(
            Float(configuration.trustCoefficient) * Float(weightSum.squareRoot()),
            Float(directionSum.squareRoot()), adapted: segment.isAdapted)
        let mu = Float(configuration.momentum)
        let stepSize = learningRate * trust
        for i in 0..<vectorCount {
            let offset = i * Self.laneBytes
            let weight = wr.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            let direction = scale * gr.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + lambda * weight
            let velocity = mu * vr.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + stepSize * direction
            vr.storeBytes(of: velocity, toByteOffset: offset, as: Lanes.self)
            wr.storeBytes(of: weight - velocity, toByteOffset: offset, as: Lanes.self)
        }
        for i in tail..<count {
            v[i] = mu * v[i] + stepSize * (scale * gradient[i] + lambda * w[i])
            w[i] -= v[i]
        }
    }

    /// LAMB on one tensor: Adam's moments and bias-corrected ratio r = m̂ / (√v̂ + ε), u = r + λw
    /// (λ on weights only), trust = ‖w‖ / ‖u‖, w -= lr·trust·u. Two passes: the first updates the
    /// moments and measures ‖u‖, the second applies the step (no scratch buffer). Eight lanes at
    /// a time, then the remainder.
    private func lambUpdate(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, segment: ParameterSegment,
        scale: Float, decay: Float, learningRate: Float, correction1: Float, correction2: Float
    ) {
        let start = segment.range.lowerBound, count = segment.range.count
        let w = p + start, gradient = g + start
        let m = firstMoment.pointer + start, v = secondMoment.pointer + start
        let wr = UnsafeMutableRawPointer(w), gr = UnsafeRawPointer(gradient)
        let mr = UnsafeMutableRawPointer(m), vr = UnsafeMutableRawPointer(v)
        let beta1 = Float(configuration.beta1), beta2 = Float(configuration.beta2)
        let epsilon = Float(configuration.epsilon)
        let lambda = segment.isAdapted ? decay : 0
        let inverse1 = 1 / correction1, inverse2 = 1 / correction2
        let vectorCount = count / Lanes.scalarCount, tail = vectorCount * Lanes.scalarCount
        var weightSquares = Lanes(), updateSquares = Lanes()
        for i in 0..<vectorCount {
            let offset = i * Self.laneBytes
            let weight = wr.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            let scaled = scale * gr.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            let first = beta1 * mr.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + (1 - beta1) * scaled
            let second = beta2 * vr.loadUnaligned(fromByteOffset: offset, as: Lanes.self) + (1 - beta2) * scaled * scaled
            mr.storeBytes(of: first, toByteOffset: offset, as: Lanes.self)
            vr.storeBytes(of: second, toByteOffset: offset, as: Lanes.self)
            let update = first * inverse1 / ((second * inverse2).squareRoot() + epsilon) + lambda * weight
            weightSquares += weight * weight
            updateSquares += update * update
        }
        var weightSum = Self.total(weightSquares), updateSum = Self.total(updateSquares)
        for i in tail..<count {
            let scaled = scale * gradient[i]
            m[i] = beta1 * m[i] + (1 - beta1) * scaled
            v[i] = beta2 * v[i] + (1 - beta2) * scaled * scaled
            let update = m[i] * inverse1 / ((v[i] * inverse2).squareRoot() + epsilon) + lambda * w[i]
            weightSum += Double(w[i] * w[i])
            updateSum += Double(update * update)
        }
        let trust = Self.trustRatio(
            Float(weightSum.squareRoot()), Float(updateSum.squareRoot()), adapted: segment.isAdapted)
        let stepSize = learningRate * trust
        for i in 0..<vectorCount {
            let offset = i * Self.laneBytes
            let weight = wr.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            let first = mr.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            let second = vr.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
            let update = first * inverse1 / ((second * inverse2).squareRoot() + epsilon) + lambda * weight
            wr.storeBytes(of: weight - stepSize * update, toByteOffset: offset, as: Lanes.self)
        }
        for i in tail..<count {
            let update = m[i] * inverse1 / ((v[i] * inverse2).squareRoot() + epsilon) + lambda * w[i]
            w[i] -= stepSize * update
        }
    }

    /// Adam's moment and parameter update (in C: `ew_adam`, vectorised for the CPU at hand;
    /// the same arithmetic in the same order as PyTorch's Adam with the corrections folded in).
    private func adamUpdate(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count: Int,
        scale: Float, decay: Float, stepSize: Float, inverseRoot2: Float
    ) {
        ew_adam(
            p, g, firstMoment.pointer, secondMoment.pointer, count, scale, decay, Float(configuration.beta1),
            Float(configuration.beta2), Float(configuration.epsilon), stepSize, inverseRoot2)
    }
}
