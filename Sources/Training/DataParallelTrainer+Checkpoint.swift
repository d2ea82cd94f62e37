import CStopSignal
import Foundation
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

    /// Whether this run continues its checkpoint: `--resume`, or `--auto-resume` finding one.
    /// A checkpoint found without either is refused (`--overwrite-checkpoint` replaces it).
    /// The writer ranks look (rank 0, or every node's first rank); every rank gets the same
    /// answer. Collective.
    func decideResume() throws -> Bool {
        let reliability = configuration.reliability
        guard let path = reliability.checkpointPath, !reliability.resume else { return reliability.resume }
        let found: Bool = try communicator.agreeingOnFailure {
            // A folder at the path is no checkpoint: the write check names it.
            var isFolder: ObjCBool = false
            guard writesCheckpoint, FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
                  !isFolder.boolValue else { return false }
            switch reliability.existingCheckpoint {
            case .resume: return true
            case .overwrite: return false
            case .refuse:
                let header = try? CheckpointFile.read(path: path).header
                let position = header.map { "epoch \($0.nextEpoch) step \($0.nextStep), \($0.optimizerSteps) optimizer steps" }
                    ?? "not readable as a checkpoint"
                throw CheckpointError.exists(path, at: position)
            }
        }
        var anywhere: [Int64] = [found ? 1 : 0]
        try communicator.allReduce(&anywhere, .max)
        return anywhere[0] == 1
    }

    /// The rank whose copy of the checkpoint is the newest (most optimizer steps; the lowest
    /// such rank): rank 0 with one copy; with `--checkpoint-copies node` whichever node's copy
    /// is ahead (a node that joined later has none). Rank 0 when no copy reads (it then reports
    /// why). Collective.
    func newestCopyOwner() throws -> Int {
        guard configuration.reliability.checkpointCopies == .everyNode,
              let path = configuration.reliability.checkpointPath else { return 0 }
        var steps: [Int64] = [-1]
        if writesCheckpoint, let header = try? CheckpointFile.read(path: path).header {
            steps[0] = Int64(header.optimizerSteps)
        }
        var newest = steps
        try communicator.allReduce(&newest, .max)
        guard newest[0] >= 0 else { return 0 }
        var owner: [Int64] = [steps[0] == newest[0] ? Int64(communicator.rank) : Int64(communicator.size)]
        try communicator.allReduce(&owner, .min)
        return Int(owner[0])
    }

    /// With `--resume`, rank 0 reads and checks the checkpoint and broadcasts it into `model`,
    /// `optimizer` and the gradient reducer; otherwise checks that the checkpoint path is
    /// writable. Every rank calls it.
    /// With `--compression auto` and `--resume`: the compression the checkpoint's run chose
    /// (rank 0 reads the header; the same answer on every rank), nil when there is none to
    /// keep. A file that cannot be read gives nil here: the resume reports it properly.
    /// Collective.
    func resumedCompression() throws -> GradientCompression? {
        let config = configuration
        guard config.communication.compression == .auto, config.reliability.resume,
              let path = config.reliability.checkpointPath else { return nil }
        let cases = GradientCompression.allCases
        var code = [-1.0]
        if communicator.rank == checkpointOwner, let checkpoint = try? CheckpointFile.read(path: path),
           let name = checkpoint.header.compression, let found = GradientCompression(rawValue: name), found != .auto {
            code[0] = Double(cases.firstIndex(of: found) ?? -1)
        }
        try communicator.broadcast(&code, root: checkpointOwner)
        return code[0] >= 0 ? cases[Int(code[0])] : nil
    }

    func prepareCheckpoint(model: Network, optimizer: Optimizer, reducer: any GradientReducer) throws -> StartPoint {
        let config = configuration
        guard let path = config.reliability.checkpointPath else { return StartPoint() }
        guard config.reliability.resume else {
            try communicator.agreeingOnFailure {
                if writesCheckpoint { try CheckpointFile.checkWritable(path) }
            }
            return StartPoint()
        }
        let owner = checkpointOwner
        let loaded: (checkpoint: Checkpoint, changes: ResumeChanges?)? = try communicator.agreeingOnFailure {
            if writesCheckpoint, communicator.rank != owner { try CheckpointFile.checkWritable(path) }
            guard communicator.rank == owner else { return nil }
            let checkpoint = try CheckpointFile.read(path: path)
            try checkCompatible(checkpoint, model: model, optimizer: optimizer, path: path)
            let changes = try resumeChanges(checkpoint.header, path: path)
            try CheckpointFile.checkWritable(path)
            return (checkpoint, changes)
        }
        if let checkpoint = loaded?.checkpoint {
            model.parameters.assign(checkpoint.parameters)
            optimizer.firstMoment.assign(checkpoint.firstMoment)
            optimizer.secondMoment.assign(checkpoint.secondMoment)
        }
        let header = loaded?.checkpoint.header
        var position = [
            Double(header?.nextEpoch ?? 0), Double(header?.nextStep ?? 0),
            Double(header?.optimizerSteps ?? 0), header?.partialLoss ?? 0,
        ]
        try communicator.broadcast(&position, root: owner)
        try communicator.broadcast(model.parameters.buffer, root: owner)
        try communicator.broadcast(optimizer.firstMoment.buffer, root: owner)
        try communicator.broadcast(optimizer.secondMoment.buffer, root: owner)
        optimizer.restore(stepCount: Int(position[2]))
        let saved = loaded.flatMap { loaded in
            loaded.checkpoint.header.reducerSection.map {
                ReducerState(name: $0.name, tag: $0.tag, values: loaded.checkpoint.compressionState)
            }
        }
        let hadState = saved != nil
        let restored = try reducer.restore(saved, writtenOnRanks: header?.ranks)
        let start = StartPoint(epoch: Int(position[0]), step: Int(position[1]), partialLoss: position[3])
        logResume(
            from: path, at: start, owner: owner, loaded: loaded,
            stateNote: reducerStateNote(owner: reducer.stateOwner, restored: restored, hadState: hadState))
        return start
    }

    /// Rank 0's line about the resume: where it starts, what changed since the checkpoint, and
    /// what became of the gradient compression's state.
    private func logResume(
        from path: String, at start: StartPoint, owner: Int, loaded: (checkpoint: Checkpoint, changes: ResumeChanges?)?,
        stateNote: String
    ) {
        guard owner == 0 else {
            // Rank 0 prints; the copy and its notes were on another node.
            logger.info("resuming from \(path) at epoch \(start.epoch) step \(start.step) (the newest copy, on rank \(owner)'s node)")
            return
        }
        guard let loaded else { return }
        let notes: String
        if let changes = loaded.changes {
            notes = changes.named.isEmpty
                ? ""
                : " (changed: \(changes.named.joined(separator: ", "))"
                    + (changes.changeTheResult ? "; results will differ from an uninterrupted run)" : ")")
        } else {
            let sameRun = loaded.checkpoint.header.fingerprint == configuration.trajectoryFingerprint
                && loaded.checkpoint.header.ranks == communicator.size
            notes = sameRun ? "" : " (note: other settings or rank count than the run that wrote it; results will differ from an uninterrupted run)"
        }
        logger.info("resuming from \(path) at epoch \(start.epoch) step \(start.step)" + notes + stateNote)
    }

    /// What the resume did with the reducer's saved state ("" when nothing to say).
    private func reducerStateNote(owner: String?, restored: Bool, hadState: Bool) -> String {
        switch (owner, restored) {
        case (let owner?, false):
            return " (\(owner) starts afresh: the checkpoint holds no \(owner) state of this rank and rank count)"
        case (nil, _) where hadState:
            return " (the checkpoint's gradient-compression state is not used by this run)"
        default:
            return ""
        }
    }

    /// What a resume changes of the settings the checkpoint was written with.
    struct ResumeChanges {
        /// "--lr 0.1 -> 0.05", "ranks 2 -> 3", ...
        var named: [String] = []
        /// Whether any of them changes the bits against an uninterrupted run.
        var changeTheResult = false
    }

    /// What this run changes of the settings the checkpoint was written with: throws for a
    /// `.refuse` setting, returns the `.warn` ones (and the rank count), or nil for a checkpoint
    /// of an older version that kept no settings.
    private func resumeChanges(_ header: Checkpoint.Header, path: String) throws -> ResumeChanges? {
        guard let saved = header.settings else { return nil }
        var refused: [String] = [], changes = ResumeChanges()
        for setting in Settings.all where setting.resume != .free {
            let now = setting.valueText(in: configuration)
            guard let then = saved[setting.flag], then != now else { continue }
            if setting.resume == .refuse {
                refused.append("\(setting.flag) \(then) -> \(now)")
            } else {
                changes.named.append("\(setting.flag) \(then) -> \(now)")
                changes.changeTheResult = true
            }
        }
        guard refused.isEmpty else { throw CheckpointError.settingsChanged(path, changes: refused) }
        if header.ranks != communicator.size {
            // Deterministic on both sides: the rank count decides no bit.
            let independent = configuration.optimization.deterministic && saved["--deterministic"] == "true"
            changes.named.append(
                "ranks \(header.ranks) -> \(communicator.size)" + (independent ? " (deterministic: no bit depends on it)" : ""))
            changes.changeTheResult = changes.changeTheResult || !independent
        }
        return changes
    }

    private func checkCompatible(_ checkpoint: Checkpoint, model: Network, optimizer: Optimizer, path: String) throws {
        let expected = model.layout.architecture + " " + model.activation.rawValue
        let header = checkpoint.header
        guard (try? header.layout()) == model.layout, header.activation == model.activation,
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
    /// Parameters that are not all finite are never written. `inBackground`: rank 0 copies the
    /// state and a thread writes it (step-interval checkpoints); otherwise the earlier background
    /// writes are waited for (their errors reported here) and this one is written at once.
    func saveCheckpoint(
        model: Network, optimizer: Optimizer, reducer: any GradientReducer, epoch: Int, step: Int, partialLoss: Double,
        learningRate: Double, inBackground: Bool = false
    ) throws {
        guard let path = configuration.reliability.checkpointPath else { return }
        let started = Communicator.wallTime()
        defer {
            checkpointsWritten += 1
            checkpointSeconds += Communicator.wallTime() - started
        }
        let reducerState = try reducer.checkpointState()
        // Every rank checks its own parameters inside the agreement: should they ever differ,
        // the verdict is still one for all ranks, reached in the same collective.
        try communicator.agreeingOnFailure {
            guard model.parameters.buffer.allSatisfy({ $0.isFinite }) else {
                throw TrainingError.nonFinite(epoch: epoch, step: step, learningRate: learningRate)
            }
            guard writesCheckpoint else { return }
            var header = Checkpoint.Header(
                nextEpoch: epoch, nextStep: step, optimizerSteps: optimizer.stepCount,
                partialLoss: partialLoss, layerSizes: model.layout.sizes,
                activation: model.activation, optimizer: optimizer.configuration.kind,
                ranks: communicator.size, seed: configuration.optimization.seed,
                fingerprint: configuration.trajectoryFingerprint,
                parameterCount: model.parameters.count,
                firstMomentCount: optimizer.firstMoment.count,
                secondMomentCount: optimizer.secondMoment.count,
                reducerState: reducerState.map { Checkpoint.ReducerSection(name: $0.name, tag: $0.tag, count: $0.values.count) })
            header.settings = configuration.resumeValues
            header.preset = configuration.preset
            header.compression = compressionRan
            if let specs = model.layout.specs {
                header.model = specs.map(String.init(describing:)).joined(separator: ",")
                header.imageShape = DataParallelTrainer.imageShape
            }
            let checkpoint = Checkpoint(
                header: header, parameters: model.parameters.array,
                firstMoment: optimizer.firstMoment.array, secondMoment: optimizer.secondMoment.array,
                compressionState: reducerState?.values ?? [])
            try backgroundWriter.drain()
            if inBackground {
                backgroundWriter.submit(checkpoint, to: path)
            } else {
                try CheckpointFile.write(checkpoint, to: path)
            }
        }
    }

    /// Starts listening for SIGTERM/SIGINT (mpirun forwards them to every rank) on a thread of
    /// their own, and keeps every asynchronous signal off this (the training) thread: oneDNN's JIT
    /// kernels move the stack pointer into the heap, where a handler's frame would land.
    func installStopHandler() {
        stop_signal_install()
        stop_signal_shield_thread()
    }

    /// The signal that asked this rank to stop, or 0.
    var stopSignal: Int32 { stop_signal_received() }
}
