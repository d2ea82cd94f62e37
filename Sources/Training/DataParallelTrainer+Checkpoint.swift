import CStopSignal
import SwiftMPI
import NeuralNet

extension DataParallelTrainer {
    /// Where training starts: epoch 0, or where a checkpoint left off.
    struct StartPoint {
        var epoch = 0
        var step = 0
        var partialLoss = 0.0
    }

    /// An error every rank found at the same point (from reduced values): rank 0 reports it,
    /// every rank stops cleanly.
    func collective(_ error: TrainingError) -> CollectiveFailure {
        communicator.isRoot ? .reportedHere(error) : .reportedBy(rank: 0)
    }

    /// With `--resume`, rank 0 reads and checks the checkpoint and broadcasts it into `model`
    /// and `optimizer`; otherwise checks that the checkpoint path is writable. Every rank calls
    /// it.
    func prepareCheckpoint(model: MLP, optimizer: Optimizer, powerSGD: PowerSGDCompressor?) throws -> StartPoint {
        let config = configuration
        guard let path = config.checkpointPath else { return StartPoint() }
        guard config.resume else {
            try communicator.agreeingOnFailure {
                if communicator.isRoot { try CheckpointFile.checkWritable(path) }
            }
            return StartPoint()
        }
        let loaded: Checkpoint? = try communicator.agreeingOnFailure {
            guard communicator.isRoot else { return nil }
            let checkpoint = try CheckpointFile.read(path: path)
            try checkCompatible(checkpoint, model: model, optimizer: optimizer, path: path)
            try CheckpointFile.checkWritable(path)
            return checkpoint
        }
        if let loaded {
            model.parameters.assign(loaded.parameters)
            optimizer.firstMoment.assign(loaded.firstMoment)
            optimizer.secondMoment.assign(loaded.secondMoment)
        }
        var position = [
            Double(loaded?.header.nextEpoch ?? 0), Double(loaded?.header.nextStep ?? 0),
            Double(loaded?.header.optimizerSteps ?? 0), loaded?.header.partialLoss ?? 0,
        ]
        try communicator.broadcast(&position, root: 0)
        try communicator.broadcast(model.parameters.buffer, root: 0)
        try communicator.broadcast(optimizer.firstMoment.buffer, root: 0)
        try communicator.broadcast(optimizer.secondMoment.buffer, root: 0)
        optimizer.restore(stepCount: Int(position[2]))
        let restoredPowerSGD = try restorePowerSGD(powerSGD, from: loaded)
        let start = StartPoint(epoch: Int(position[0]), step: Int(position[1]), partialLoss: position[3])
        if let loaded {
            let sameRun = loaded.header.fingerprint == config.trajectoryFingerprint
                && loaded.header.ranks == communicator.size
            logger.info(
                "resuming from \(path) at epoch \(start.epoch) step \(start.step)"
                    + (sameRun ? "" : " (note: other settings or rank count than the run that wrote it; results will differ from an uninterrupted run)")
                    + (powerSGD != nil && !restoredPowerSGD
                        ? " (PowerSGD starts afresh: the checkpoint holds no PowerSGD state of this rank and rank count)" : ""))
        }
        return start
    }

    /// Gives every rank its PowerSGD state from the checkpoint rank 0 read (Q to all, each
    /// rank's error feedback to it), when the checkpoint holds one of the same PowerSGD rank and
    /// rank count. Collective.
    ///
    /// - Returns: whether the state was restored (the same verdict on every rank).
    private func restorePowerSGD(_ powerSGD: PowerSGDCompressor?, from loaded: Checkpoint?) throws -> Bool {
        guard let powerSGD else { return false }
        let header = loaded?.header
        var usable: [Int32] = [
            header?.powersgdRank == powerSGD.rank && header?.ranks == communicator.size
                && (header?.compressionStateCount ?? 0) == powerSGD.qCount + communicator.size * powerSGD.errors.count
                ? 1 : 0,
        ]
        try communicator.broadcast(&usable, root: 0)
        guard usable[0] == 1 else { return false }
        // Only rank 0 read the checkpoint: Q goes to all, each rank's errors to it.
        let state = loaded?.compressionState ?? []
        if communicator.isRoot { powerSGD.q.assign(Array(state.prefix(powerSGD.qCount))) }
        try communicator.broadcast(powerSGD.q.buffer, root: 0)
        let errors = try communicator.scatter(
            communicator.isRoot ? Array(state.dropFirst(powerSGD.qCount)) : [], count: powerSGD.errors.count)
        powerSGD.errors.assign(errors)
        return true
    }

    private func checkCompatible(_ checkpoint: Checkpoint, model: MLP, optimizer: Optimizer, path: String) throws {
        let expected = model.layout.sizes.map(String.init).joined(separator: "-") + " " + model.activation.rawValue
        let header = checkpoint.header
        guard header.layerSizes == model.layout.sizes, header.activation == model.activation,
              header.parameterCount == model.parameters.count
        else {
            throw CheckpointError.wrongArchitecture(path, found: checkpoint.architecture, expected: expected)
        }
        guard header.optimizer == optimizer.configuration.kind,
              header.firstMomentCount == optimizer.firstMoment.count,
              header.secondMomentCount == optimizer.secondMoment.count
        else {
            throw CheckpointError.wrongArchitecture(
                path, found: "\(checkpoint.architecture) + \(header.optimizer.rawValue)",
                expected: "\(expected) + \(optimizer.configuration.kind.rawValue)")
        }
    }

    /// Rank 0 writes a checkpoint for continuing at (`epoch`, `step`); every rank calls it.
    /// Parameters that are not all finite are never written.
    func saveCheckpoint(
        model: MLP, optimizer: Optimizer, powerSGD: PowerSGDCompressor?, epoch: Int, step: Int, partialLoss: Double,
        learningRate: Double
    ) throws {
        guard let path = configuration.checkpointPath else { return }
        // PowerSGD's state: Q is the same everywhere; each rank's error feedback is its own.
        let errors = try powerSGD.map { try communicator.gather($0.errors.array) } ?? []
        // Every rank checks its own parameters inside the agreement: should they ever differ,
        // the verdict is still one for all ranks, reached in the same collective.
        try communicator.agreeingOnFailure {
            guard model.parameters.buffer.allSatisfy({ $0.isFinite }) else {
                throw TrainingError.nonFinite(epoch: epoch, step: step, learningRate: learningRate)
            }
            guard communicator.isRoot else { return }
            let header = Checkpoint.Header(
                nextEpoch: epoch, nextStep: step, optimizerSteps: optimizer.stepCount,
                partialLoss: partialLoss, layerSizes: model.layout.sizes,
                activation: model.activation, optimizer: optimizer.configuration.kind,
                ranks: communicator.size, seed: configuration.seed,
                fingerprint: configuration.trajectoryFingerprint,
                parameterCount: model.parameters.count,
                firstMomentCount: optimizer.firstMoment.count,
                secondMomentCount: optimizer.secondMoment.count,
                powersgdRank: powerSGD?.rank,
                compressionStateCount: powerSGD.map { $0.qCount + errors.count })
            try CheckpointFile.write(
                Checkpoint(
                    header: header, parameters: model.parameters.array,
                    firstMoment: optimizer.firstMoment.array, secondMoment: optimizer.secondMoment.array,
                    compressionState: powerSGD.map { $0.q.array + errors } ?? []),
                to: path)
        }
    }

    /// Starts listening for SIGTERM/SIGINT (mpirun forwards them to every rank).
    func installStopHandler() {
        stop_signal_install()
    }

    /// The signal that asked this rank to stop, or 0.
    var stopSignal: Int32 { stop_signal_received() }
}
