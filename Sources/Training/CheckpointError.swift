/// What can be wrong with a checkpoint; each description is one line with what to do.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case unreadable(String, reason: String)
    case notACheckpoint(String)
    case wrongVersion(String, found: Int, expected: Int)
    case corrupt(String, reason: String)
    case wrongArchitecture(String, found: String, expected: String)
    case unwritable(String, reason: String)
    /// Settings whose resume policy is `.refuse` differ from the run that wrote it
    /// ("--dataset mnist -> fashion-mnist").
    case settingsChanged(String, changes: [String])
    /// A run without `--resume` found a checkpoint at its path (`at`: where it stands).
    case exists(String, at: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "no checkpoint at \(path): check the path (with --resume, or drop --resume to start afresh)"
        case .unreadable(let path, let reason):
            return "cannot read checkpoint \(path): \(reason)"
        case .notACheckpoint(let path):
            return "\(path) is not a mnist-mpi checkpoint: point --checkpoint at a file this tool wrote"
        case .wrongVersion(let path, let found, let expected):
            return "checkpoint \(path) has format version \(found), this build reads version \(expected): resume with the build that wrote it"
        case .corrupt(let path, let reason):
            return "checkpoint \(path) is corrupt (\(reason)): resume from another checkpoint or start afresh"
        case .wrongArchitecture(let path, let found, let expected):
            return "checkpoint \(path) holds a \(found) model but this run builds \(expected): use the same --hidden, --activation and --optimizer, or another --checkpoint"
        case .unwritable(let path, let reason):
            return "cannot write checkpoint \(path): \(reason); choose a writable --checkpoint path"
        case .exists(let path, let position):
            return "checkpoint \(path) exists already (\(position)): continue it with --resume or --auto-resume, or start afresh with --overwrite-checkpoint (which replaces it)"
        case .settingsChanged(let path, let changes):
            return "checkpoint \(path) was written with other settings that a resume may not change (\(changes.joined(separator: ", "))): resume with the checkpoint's values, or start afresh with another --checkpoint"
        }
    }
}
