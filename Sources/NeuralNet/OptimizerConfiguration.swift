/// The update rule and its hyper-parameters.
public struct OptimizerConfiguration: Codable, Sendable, Equatable {
    /// Which update rule.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// p -= lr · g
        case sgd
        /// v = μ·v + g; p -= lr · v (Nesterov: p -= lr · (g + μ·v))
        case momentum
        /// Adam (Kingma & Ba, 2015) with bias correction.
        case adam
        /// LARS (You, Gitman & Ginsburg, 2017): momentum SGD whose step for each weight matrix is
        /// scaled by the trust ratio η·‖w‖ / ‖g + λw‖, so every layer moves by a similar fraction
        /// of its norm however large the batch; biases are not adapted.
        case lars
        /// LAMB (You et al., 2019): Adam's update r, plus λw, scaled for each weight matrix by
        /// ‖w‖ / ‖r + λw‖; biases are not adapted.
        case lamb
    }

    public var kind: Kind = .sgd
    /// μ of momentum.
    public var momentum: Double = 0.9
    /// Nesterov's variant of momentum.
    public var nesterov: Bool = false
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    /// L2 penalty added to the gradient: g += weightDecay · p (0: none). LARS and LAMB apply it
    /// to the weight matrices only.
    public var weightDecay: Double = 0
    /// η of LARS: the fraction of a layer's norm that one step at learning rate 1 moves it.
    public var trustCoefficient: Double = 0.001

    public init(kind: Kind = .sgd) {
        self.kind = kind
    }

    /// The problem with these values, if any, as "option value: rule".
    public var problem: (option: String, value: Double, rule: String)? {
        if !(momentum >= 0 && momentum < 1) { return ("--momentum", momentum, "must be in [0, 1)") }
        if !(beta1 > 0 && beta1 < 1) { return ("--beta1", beta1, "must be in (0, 1)") }
        if !(beta2 > 0 && beta2 < 1) { return ("--beta2", beta2, "must be in (0, 1)") }
        if !(epsilon > 0 && epsilon.isFinite) { return ("--epsilon", epsilon, "must be a positive finite number") }
        if !(trustCoefficient > 0 && trustCoefficient.isFinite) {
            return ("--trust-coefficient", trustCoefficient, "must be a positive finite number")
        }
        if !(weightDecay >= 0 && weightDecay.isFinite) {
            return ("--weight-decay", weightDecay, "must be a finite number >= 0")
        }
        return nil
    }
}
