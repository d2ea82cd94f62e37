import Foundation

/// The live status line of rank 0 on a terminal: batches done in the epoch, samples per second
/// and the time left, redrawn at most four times a second (nothing when no terminal watches).
public final class ProgressReporter {
    private let logger: Logger
    private let stepsPerEpoch: Int
    private let samplesPerStep: Int
    private let totalSteps: Int
    private var stepsDone = 0
    private var started: Double?
    // -infinity: the first step after the start draws, however early the clock (MPI_Wtime may start near 0).
    private var lastDrawn = -Double.infinity

    public init(logger: Logger, stepsPerEpoch: Int, samplesPerStep: Int, totalSteps: Int) {
        self.logger = logger
        self.stepsPerEpoch = stepsPerEpoch
        self.samplesPerStep = samplesPerStep
        self.totalSteps = totalSteps
    }

    /// Records a finished step (`now` in seconds) and redraws the line when it is due.
    @inline(__always)
    public func stepDone(epoch: Int, step: Int, now: Double) {
        guard logger.showsLiveLine else { return }
        stepsDone += 1
        guard let started else {
            self.started = now
            return
        }
        guard now - lastDrawn >= 0.25 else { return }
        lastDrawn = now
        let perStep = (now - started) / Double(max(stepsDone - 1, 1))
        let remaining = Double(totalSteps - stepsDone) * perStep
        logger.live(String(
            format: "epoch %3d  %d/%d batches  %.0f samples/s  ETA %.0f s",
            epoch, step + 1, stepsPerEpoch, Double(samplesPerStep) / perStep, remaining))
    }
}
