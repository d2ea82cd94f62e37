/// Whether an ended job is launched again. A job that ends while every host still answers
/// is relaunched only if it made progress since its previous failure, or for the
/// `sameStepRetries`-th time at most at the same step (a launcher's passing trouble, such as a
/// busy controller, gets a few tries; diverging parameters or a bad shard would repeat
/// forever). A first launch that ends before any step (bad options, data, paths) is not relaunched.
public struct RestartPolicy: Sendable {
    public let maxRestarts: Int
    /// Relaunches after failures at one and the same step.
    public let sameStepRetries: Int
    /// The step where the previous failure with unchanged hosts ended (nil: none yet), and how
    /// many failures in a row ended there.
    private(set) var previousFailureStep: Int? = nil
    private(set) var failuresAtThatStep = 0

    public init(maxRestarts: Int, sameStepRetries: Int = 2) {
        self.maxRestarts = maxRestarts
        self.sameStepRetries = sameStepRetries
    }

    /// Seconds to wait before the next relaunch: 0 after progress, then 2, 4, ... while
    /// failures repeat at one step.
    public var backoffSeconds: Double {
        failuresAtThatStep <= 1 ? 0 : Double(1 << min(failuresAtThatStep - 1, 5))
    }

    /// The decision for a job that ended with `status` (not 0).
    ///
    /// - Parameters:
    ///   - hostsChanged: a host was lost or added (or the supervisor asked the job to stop).
    ///   - reachedStep: the last step the job finished (its progress marker), or where it
    ///     started when it finished none (-1: not known here); nil for a first launch that
    ///     finished none.
    ///   - restartsDone: relaunches so far.
    /// - Throws: the `ElasticError` that ends the supervisor.
    public mutating func check(status: Int32, hostsChanged: Bool, reachedStep: Int?, restartsDone: Int) throws {
        guard restartsDone < maxRestarts else { throw ElasticError.tooManyRestarts(maxRestarts) }
        if hostsChanged {
            previousFailureStep = nil
            failuresAtThatStep = 0
            return
        }
        guard let reachedStep else { throw ElasticError.failedBeforeTraining(status: status) }
        failuresAtThatStep = previousFailureStep == reachedStep ? failuresAtThatStep + 1 : 1
        previousFailureStep = reachedStep
        if failuresAtThatStep > sameStepRetries {
            throw ElasticError.repeatedFailure(step: reachedStep, times: failuresAtThatStep, status: status)
        }
    }
}
