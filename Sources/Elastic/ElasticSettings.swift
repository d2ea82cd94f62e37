/// How `mnist-mpi elastic` runs its job (its command line, parsed).
public struct ElasticSettings: Sendable {
    /// Where the hosts come from, asked again every poll.
    public var source: HostSource
    /// A host counts only while it accepts a TCP connection on this port (nil: listed is enough).
    public var probePort: Int? = nil
    /// The probed port speaks first (sshd's greeting): a host counts only once it has said
    /// something, which a frozen host (`docker pause`) cannot, though its kernel still accepts
    /// the connection.
    public var probeExpectsGreeting = false
    /// Probe only hosts that are not in the job (when the source itself drops dead hosts, as
    /// Docker's DNS does; a probe of sshd every second would fill its log).
    public var probeNewHostsOnly = false
    public var minHosts = 1
    /// Hosts to wait for before the first launch (then `minHosts` is enough). nil: `minHosts`.
    public var initialHosts: Int? = nil
    public var maxHosts: Int? = nil
    public var maxRestarts = 10
    /// How long to wait for `minHosts` hosts (at the start and after a loss).
    public var waitSeconds = 60.0
    /// How often to ask the source and probe the hosts while the job runs.
    public var pollSeconds = 1.0
    /// A host added to a running job: how long the job may take to stop at a step boundary.
    public var stopGraceSeconds = 60.0
    /// A host lost: the launcher's group is killed at once (no step can finish without the
    /// host), and again every this many seconds until it has ended.
    public var lostGraceSeconds = 2.0
    /// A host hangs when the job made no step for this long while the host's ranks are silent
    /// (nil: from the measured step time, `ProgressBoard`).
    public var hangSeconds: Double? = nil
    /// A hung host is left out until its probe's greeting answers again (with
    /// `probeExpectsGreeting`), else for this long; then it is tried again.
    public var setAsideSeconds = 60.0
    /// Drop a host from the job when the trainer finds its rank slow and the job would step at
    /// least `slowSpeedup` times faster without it; it stays out for the rest of the job.
    public var dropSlowHosts = false
    public var slowSpeedup = 1.2
    /// The launcher, called as `launch HOSTFILE RANKS COMMAND...`; nil: `mpirun --hostfile
    /// HOSTFILE -np RANKS COMMAND...`.
    public var launch: String? = nil
    /// The trainer: `program train TRAIN-ARGUMENTS`.
    public var program: String
    /// The trainer's options, passed on as given.
    public var trainArguments: [String]
    /// What the supervisor needs of them, as the trainer's own parser read them.
    public var train: TrainFacts

    /// What the supervisor needs of the trainer's settings (`mnist-mpi elastic` parses the
    /// train options with train's own parser and hands these over as values).
    public struct TrainFacts: Sendable, Equatable {
        /// `--checkpoint`: where the relaunches continue from.
        public var checkpointPath: String?
        /// `--global-batch`: the trajectory does not change with the rank count.
        public var fixesGlobalBatch: Bool
        /// `--checkpoint-copies node`: copies on the nodes' own disks, which the supervisor
        /// may not see (it then knows progress only from the trainer's log).
        public var checkpointCopiesOnNodes: Bool

        public init(checkpointPath: String?, fixesGlobalBatch: Bool, checkpointCopiesOnNodes: Bool) {
            self.checkpointPath = checkpointPath
            self.fixesGlobalBatch = fixesGlobalBatch
            self.checkpointCopiesOnNodes = checkpointCopiesOnNodes
        }
    }

    public init(source: HostSource, program: String, trainArguments: [String], train: TrainFacts) {
        self.source = source
        self.program = program
        self.trainArguments = trainArguments
        self.train = train
    }

    /// The train arguments of a relaunch: whatever the user said about an existing
    /// checkpoint is replaced by `--auto-resume` (the checkpoint now holds this job's progress).
    public var relaunchArguments: [String] {
        trainArguments.filter { !["--resume", "--auto-resume", "--overwrite-checkpoint"].contains($0) } + ["--auto-resume"]
    }
}
