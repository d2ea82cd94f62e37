/// What stops an elastic job; each description is one line with what to do.
public enum ElasticError: Error, CustomStringConvertible, Equatable {
    case badHostLine(source: String, line: String)
    case discoveryFailed(command: String, reason: String)
    case tooFewHosts(found: [String], minimum: Int, waited: Double)
    case noCheckpoint
    case launchFailed(program: String, reason: String)
    case tooManyRestarts(Int)
    case repeatedFailure(step: Int, times: Int, status: Int32)
    case failedBeforeTraining(status: Int32)
    case cannotWrite(path: String, reason: String)
    case heartbeatFailed(reason: String)

    public var description: String {
        switch self {
        case .badHostLine(let source, let line):
            return "\(source): cannot read \"\(line)\" as a host: write host:slots (e.g. node1:2) or host slots=N, one a line"
        case .discoveryFailed(let command, let reason):
            return "the discovery command \"\(command)\" failed (\(reason)): it must print host:slots lines and exit 0"
        case .tooFewHosts(let found, let minimum, let waited):
            let named = found.isEmpty ? "none" : found.joined(separator: ", ")
            return "\(found.count) hosts answer (\(named)) after waiting \(Int(waited)) s, --min-hosts is \(minimum): start more hosts or lower --min-hosts"
        case .noCheckpoint:
            return "elastic training needs a checkpoint to relaunch from: add --checkpoint FILE (and --checkpoint-every-steps K) after --"
        case .launchFailed(let program, let reason):
            return "cannot start \(program): \(reason)"
        case .tooManyRestarts(let count):
            return "the job failed again after \(count) restarts (--max-restarts \(count)): see its errors above; raise --max-restarts to keep going"
        case .repeatedFailure(let step, let times, let status):
            return "the job failed \(times) times in a row at step \(step) with the same hosts (exit \(status)): not restarting a failure that repeats; its error is above"
        case .failedBeforeTraining(let status):
            return "the job ended (exit \(status)) before its first step with every host answering: not restarting (bad options, data or paths repeat); its error is above"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .heartbeatFailed(let reason):
            return "cannot open the UDP socket for the ranks' heartbeats (\(reason)): check the open-file limit (ulimit -n)"
        }
    }
}
