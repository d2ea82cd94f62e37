/// Whether an ended job is launched again. A job that ends while every host still answers
/// is relaunched only if it made progress since its previous failure: a failure that repeats
/// at the same step (diverging parameters, a bad shard) or before any step (bad options, data,
/// paths) would repeat forever.
public struct RestartPolicy: Sendable {
    public let maxRestarts: Int
    /// The step where the previous failure with unchanged hosts ended (nil: none yet).
    private(set) var previousFailureStep: Int? = nil

    public init(maxRestarts: Int) {
        self.maxRestarts = maxRestarts
    }

    /// The decision for a job that ended with `status` (not 0).
    ///
    /// - Parameters:
    ///   - hostsChanged: a host was lost or added (or the supervisor asked the job to stop).
    ///   - reachedStep: the last step the job finished (its progress marker), or where it
    ///     started when it finished none; nil for a first launch that finished none.
    ///   - restartsDone: relaunches so far.
    /// - Throws: the `ElasticError` that ends the supervisor.
    public mutating func check(status: Int32, hostsChanged: Bool, reachedStep: Int?, restartsDone: Int) throws {
        guard restartsDone < maxRestarts else { throw ElasticError.tooManyRestarts(maxRestarts) }
        if hostsChanged {
            previousFailureStep = nil
            return
        }
        guard let reachedStep else { throw ElasticError.failedBeforeTraining(status: status) }
        if previousFailureStep == reachedStep { throw ElasticError.repeatedFailure(step: reachedStep, status: status) }
        previousFailureStep = reachedStep
    }
}
