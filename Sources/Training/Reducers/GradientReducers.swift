import NeuralNet

/// The gradient reducers, in the order they are asked (as Horovod's operation manager): the
/// first whose `make` returns one runs; one blocking `MPI_Allreduce` when none applies. A new
/// reducer is one file and one line here.
enum GradientReducers {
    static let candidates: [any GradientReducer.Type] = [
        DeterministicReducer.self,
        PowerSGDReducer.self,
        OverlappedReducer.self,
        SharedMemoryReducer.self,
    ]

    /// How each stateful reducer's checkpoint section must look, by section name: the problem
    /// with a section (given the checkpoint's rank count and model layout), or nil. A reader
    /// refuses a section no entry names.
    static let stateLayouts: [String: @Sendable (Checkpoint.ReducerSection, Int, NetworkLayout) -> String?] = [
        PowerSGDReducer.stateName: PowerSGDReducer.stateProblem,
    ]

    /// The first candidate that applies to `context`, else `MPIAllReduceReducer`. Collective.
    ///
    /// - Throws: `TrainingError.invalidOption` when an explicit choice cannot run here.
    static func make(_ context: ReducerContext) throws -> any GradientReducer {
        for candidate in candidates { try candidate.check(context) }
        for candidate in candidates {
            if let reducer = try candidate.make(context) { return reducer }
        }
        return try MPIAllReduceReducer(context)
    }
}
