import Foundation

/// Writes checkpoints on a thread of their own, so that the step-interval checkpoints
/// (`--checkpoint-every-steps`) cost the training loop only the copy of the state: encoding,
/// the write, fsync and the rename happen beside the next steps. One write at a time, in
/// order; a failed write is reported by the next `drain()` (the next synchronous checkpoint,
/// at the latest the run's last one), so no failure goes unnoticed.
final class BackgroundCheckpointWriter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "mnist-mpi.checkpoint-writer")
    private let lock = NSLock()
    private var firstError: Error? = nil

    /// Queues `checkpoint` (a copy of the state: the caller may go on changing its buffers).
    func submit(_ checkpoint: Checkpoint, to path: String) {
        queue.async { [self] in
            do {
                try CheckpointFile.write(checkpoint, to: path)
            } catch {
                lock.lock()
                if firstError == nil { firstError = error }
                lock.unlock()
            }
        }
    }

    /// Waits for every queued write.
    ///
    /// - Throws: the first write error since the last drain.
    func drain() throws {
        queue.sync {}
        lock.lock()
        defer { lock.unlock() }
        if let error = firstError {
            firstError = nil
            throw error
        }
    }
}
