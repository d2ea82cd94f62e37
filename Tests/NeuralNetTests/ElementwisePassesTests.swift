import Foundation
import CElementwise
import CInstructionSets
import Testing
@testable import NeuralNet

/// The C element-wise passes (one clone per instruction set, the CPU's picked, capped by
/// MNIST_MPI_MAX_ISA)
/// give exactly the bits of the plain Swift loops they replaced, at lengths that leave
/// remainders for every vector width.
@Suite struct ElementwisePassesTests {
    private func values(_ count: Int, seed: UInt64, scale: Double = 1) -> [Float] {
        var random = RandomSource(seed: seed)
        return (0..<count).map { index in index % 7 == 0 ? 0 : Float(random.nextNormal(standardDeviation: scale)) }
    }

    private let counts = [0, 1, 7, 15, 16, 17, 33, 257, 1000]

    @Test func derivativesMatchTheScalarLoops() {
        for count in counts {
            let gradient = values(count, seed: 1), raw = values(count, seed: 2)
            let sigmoid = raw.map { 1 / (1 + Float(exp(Double(-$0)))) }
            for activation in Activation.allCases {
                let outputs = activation == .sigmoid ? sigmoid : activation == .tanh ? raw.map { Float(tanh(Double($0))) } : raw.map { max($0, 0) }
                var expected = gradient
                for i in 0..<count {
                    switch activation {
                    case .sigmoid: expected[i] *= outputs[i] * (1 - outputs[i])
                    case .tanh: expected[i] *= 1 - outputs[i] * outputs[i]
                    case .relu: if outputs[i] <= 0 { expected[i] = 0 }
                    }
                }
                var got = gradient
                got.withUnsafeMutableBufferPointer { g in
                    outputs.withUnsafeBufferPointer { o in
                        if let gp = g.baseAddress, let op = o.baseAddress { activation.multiplyByDerivative(gp, outputs: op, count: count) }
                    }
                }
                #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(activation), \(count) values, \(VectorPasses.instructionSet)")
            }
        }
    }

    @Test func adamMatchesTheScalarLoop() {
        let (beta1, beta2, epsilon): (Float, Float, Float) = (0.9, 0.999, 1e-8)
        let (scale, decay, stepSize, inverseRoot2): (Float, Float, Float, Float) = (0.5, 1e-4, 1e-3, 1.7)
        for count in counts {
            var p = values(count, seed: 3), m = values(count, seed: 4, scale: 0.01)
            var v = values(count, seed: 5, scale: 0.01).map { $0 * $0 }
            let g = values(count, seed: 6)
            var (ep, em, ev) = (p, m, v)
            for i in 0..<count {
                let gradient = scale * g[i] + decay * ep[i]
                em[i] = beta1 * em[i] + (1 - beta1) * gradient
                ev[i] = beta2 * ev[i] + (1 - beta2) * gradient * gradient
                ep[i] -= stepSize * em[i] / (ev[i].squareRoot() * inverseRoot2 + epsilon)
            }
            ew_adam(&p, g, &m, &v, count, scale, decay, beta1, beta2, epsilon, stepSize, inverseRoot2)
            #expect(p.map(\.bitPattern) == ep.map(\.bitPattern) && m.map(\.bitPattern) == em.map(\.bitPattern)
                    && v.map(\.bitPattern) == ev.map(\.bitPattern), "\(count) values, \(VectorPasses.instructionSet)")
        }
    }

    @Test func momentumNesterovAndDecayMatchTheScalarLoops() {
        let (scale, decay, mu, rate): (Float, Float, Float, Float) = (0.5, 1e-4, 0.9, 0.05)
        for count in counts {
            let g = values(count, seed: 7), start = values(count, seed: 8), velocity = values(count, seed: 9)
            var (p1, v1, e1, f1) = (start, velocity, start, velocity)
            ew_momentum(&p1, g, &v1, count, scale, decay, mu, rate)
            for i in 0..<count {
                f1[i] = mu * f1[i] + scale * g[i] + decay * e1[i]
                e1[i] -= rate * f1[i]
            }
            var (p2, v2, e2, f2) = (start, velocity, start, velocity)
            ew_nesterov(&p2, g, &v2, count, scale, decay, mu, rate)
            for i in 0..<count {
                let gradient = scale * g[i] + decay * e2[i]
                f2[i] = mu * f2[i] + gradient
                e2[i] -= rate * (gradient + mu * f2[i])
            }
            var (p3, e3) = (start, start)
            ew_sgd_decay(&p3, g, count, scale, decay, rate)
            for i in 0..<count { e3[i] -= rate * (scale * g[i] + decay * e3[i]) }
            #expect(p1.map(\.bitPattern) == e1.map(\.bitPattern) && v1.map(\.bitPattern) == f1.map(\.bitPattern))
            #expect(p2.map(\.bitPattern) == e2.map(\.bitPattern) && v2.map(\.bitPattern) == f2.map(\.bitPattern))
            #expect(p3.map(\.bitPattern) == e3.map(\.bitPattern), "\(count) values")
        }
    }

    @Test func pixelScalingMatches() {
        let bytes = (0..<1001).map { UInt8($0 % 256) }
        var got = [Float](repeating: -1, count: bytes.count)
        got.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { VectorPasses.scale($0.baseAddress!, into: out.baseAddress!, count: bytes.count, by: 1 / 255) }
        }
        #expect(got.map(\.bitPattern) == bytes.map { (Float($0) * (1 / 255 as Float)).bitPattern })
        #expect(["avx512f", "avx2", "sse2", "baseline"].contains(VectorPasses.instructionSet))
    }

    /// The passes run at the CPU's widest instruction set, or at MNIST_MPI_MAX_ISA's where that
    /// is narrower (scripts/test.sh runs this suite again under avx2 and sse2).
    @Test func capNarrowsTheDispatch() {
        let order = ["sse2", "avx2", "avx512f"]
        let cpu = String(cString: isa_name(isa_cpu()))
        let cap = ProcessInfo.processInfo.environment["MNIST_MPI_MAX_ISA"].map { $0 == "avx512" ? "avx512f" : $0 }
        guard let cpuIndex = order.firstIndex(of: cpu) else {
            #expect(VectorPasses.instructionSet == "baseline")  // not x86-64: one plain clone
            return
        }
        let expected = cap.flatMap { order.firstIndex(of: $0) }.map { order[min($0, cpuIndex)] } ?? cpu
        #expect(VectorPasses.instructionSet == expected, "CPU \(cpu), MNIST_MPI_MAX_ISA \(cap ?? "unset")")
    }
}
