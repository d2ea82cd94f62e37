import Foundation
import NeuralNet

/// The test-only seam: faults and dumps the multi-rank tests need, read once from the
/// environment variable `MNIST_MPI_TEST_HOOKS` (comma-separated `name=value`), never from the
/// training options:
///
/// - `perturb-rank=R`: rank R nudges one parameter after epoch 0, so the drift check must fire;
/// - `fail-rank=R`: rank R alone fails after epoch 0, so the job must end by MPI_Abort;
/// - `rank-parameters-dir=DIR`: every rank writes its final parameters to `DIR/rank-N.f32`
///   (raw little-endian float32), so that tests can compare ranks byte for byte;
/// - `slow-rank=R:MS`: rank R sleeps MS milliseconds before each step (a slow node).
public struct TestHooks: Sendable, Equatable {
    public var perturbRank: Int? = nil
    public var failRank: Int? = nil
    public var rankParametersDirectory: String? = nil
    public var slowRank: (rank: Int, milliseconds: Int)? {
        get { slowRankValue.map { ($0[0], $0[1]) } }
        set { slowRankValue = newValue.map { [$0.rank, $0.milliseconds] } }
    }
    private var slowRankValue: [Int]? = nil

    /// No hooks: what every real run has.
    public static let none = TestHooks()

    public init() {}

    /// The hooks `MNIST_MPI_TEST_HOOKS` names.
    ///
    /// - Throws: `TrainingError.invalidOption` for a name or value it does not know.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TestHooks {
        var hooks = TestHooks()
        guard let text = environment["MNIST_MPI_TEST_HOOKS"], !text.isEmpty else { return hooks }
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let invalid = TrainingError.invalidOption(
                option: "MNIST_MPI_TEST_HOOKS", value: String(item),
                rule: "takes perturb-rank=R, fail-rank=R, slow-rank=R:MS or rank-parameters-dir=DIR, comma-separated")
            guard parts.count == 2 else { throw invalid }
            switch parts[0] {
            case "perturb-rank": hooks.perturbRank = try Int(parts[1]) ?? { throw invalid }()
            case "fail-rank": hooks.failRank = try Int(parts[1]) ?? { throw invalid }()
            case "rank-parameters-dir": hooks.rankParametersDirectory = parts[1]
            case "slow-rank":
                let numbers = parts[1].split(separator: ":").compactMap { Int($0) }
                guard numbers.count == 2, numbers[0] >= 0, (0...10_000).contains(numbers[1]) else { throw invalid }
                hooks.slowRank = (numbers[0], numbers[1])
            default: throw invalid
            }
        }
        return hooks
    }

    /// After each epoch, on every rank: the injected drift and failure.
    func afterEpoch(_ epoch: Int, rank: Int, parameters: FloatBuffer) throws {
        guard epoch == 0 else { return }
        if rank == perturbRank { parameters[0] += 1e-3 }
        if rank == failRank { throw TrainingError.injectedFailure(rank: rank, epoch: epoch) }
    }

    /// At the end, on every rank: this rank's parameters to `DIR/rank-N.f32`.
    ///
    /// - Throws: `TrainingError.cannotWrite` naming the path.
    func writeParameters(_ values: UnsafeMutableBufferPointer<Float>, rank: Int) throws {
        guard let directory = rankParametersDirectory else { return }
        let path = "\(directory)/rank-\(rank).f32"
        do { try Data(buffer: values).write(to: URL(fileURLWithPath: path)) } catch {
            throw TrainingError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }
}
