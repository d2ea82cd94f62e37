/// The passes of a deterministic sum's leaves run over the rank's whole batch at once: one
/// forward pass and one backward pass of deltas for all of the batch's rows, then each leaf's
/// gradients from its rows of the kept deltas (each weight-gradient product at the leaf's own
/// shape). Where the kernels compute a row the same at any batch size (`leafPassesMatch`), this
/// gives every leaf the bits a pass over that leaf alone gives, with the row-wise products run
/// once at the batch's size instead of once per leaf.
extension Network {
    /// Whether this model's passes can run as leaf passes through `kernels`: dense layers,
    /// float32 products.
    public func leafPassesApply(to kernels: ComputeKernels) -> Bool {
        layout.isDense && kernels.precision == .fp32
    }

    /// Whether `workspace` can run leaf passes: `leafPassesApply` to its kernels, and a delta
    /// buffer per layer.
    public func runsLeafPasses(_ workspace: NetworkWorkspace) -> Bool {
        leafPassesApply(to: workspace.kernels) && workspace.training && workspace.layerDeltas.count == layout.layers.count
    }

    /// The forward pass of the whole batch, then each leaf's mean softmax cross-entropy and its
    /// gradient with respect to the leaf's logits, as `forwardAndLoss` gives them for the leaf
    /// alone (scaled by 1/leafRows), into the last layer's kept delta.
    ///
    /// - Parameters:
    ///   - input: `[rows, inputSize]` row-major; must stay valid until the last `leafGradients`.
    ///   - labels: `[rows]` class indices.
    ///   - rows: the batch, `leafRows` times the leaf count, at most `workspace.capacity`.
    ///   - leafRows: the rows of a leaf.
    ///   - workspace: a workspace with `runsLeafPasses`.
    ///   - losses: `[rows / leafRows]` each leaf's mean loss, overwritten.
    public func forwardAndLeafLosses(
        input: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, leafRows: Int, workspace: NetworkWorkspace,
        losses: UnsafeMutablePointer<Double>
    ) {
        precondition(runsLeafPasses(workspace) && rows % leafRows == 0, "leaf passes need a leaf workspace and whole leaves")
        let logits = forward(input: input, rows: rows, workspace: workspace)
        let classes = layout.outputSize
        let delta = workspace.layerDeltas[layout.layers.count - 1].pointer
        for leaf in 0..<(rows / leafRows) {
            let first = leaf * leafRows
            losses[leaf] = softmaxCrossEntropy(
                logits: logits + first * classes, labels: labels + first, rows: leafRows, classes: classes,
                gradient: delta + first * classes)
        }
        workspace.pendingBackwardRows = rows
    }

    /// Every layer's delta (∂loss/∂pre-activation, `[rows, outputs_l]`) of the batch the last
    /// `forwardAndLeafLosses` saw, last layer first, into `workspace.layerDeltas`.
    public func backwardDeltas(workspace: NetworkWorkspace) {
        guard workspace.pendingBackwardRows != nil else { preconditionFailure("backwardDeltas needs forwardAndLeafLosses first") }
        let kernels = workspace.layerKernels
        let deltas = workspace.layerDeltas
        kernels.beginBackward(outputDelta: deltas[layout.layers.count - 1].pointer)
        for index in stride(from: layout.layers.count - 1, to: 0, by: -1) {
            kernels.inputGradient(layer: index, delta: deltas[index].pointer, into: deltas[index - 1].pointer)
        }
    }

    /// Leaf `leaf`'s gradients (rows `leaf·leafRows ..< (leaf+1)·leafRows` of the batch) from the
    /// kept deltas: what `backward` writes after a forward pass over the leaf alone.
    ///
    /// - Parameters:
    ///   - destination: `[layout.parameterCount]` (the layout of `gradients`).
    ///   - adding: adds to what `destination` holds, as `backward(adding:)` does.
    ///   - afterLayer: called with layer `l` once its gradients are written (last layer first).
    public func leafGradients(
        leaf: Int, leafRows: Int, workspace: NetworkWorkspace, into destination: UnsafeMutablePointer<Float>, adding: Bool,
        afterLayer: (Int) throws -> Void
    ) rethrows {
        for part in leafParts {
            leafGradients(leaf: leaf, part: part, leafRows: leafRows, workspace: workspace, into: destination, adding: adding)
            try afterLayer(part.layer)
        }
    }

    /// The parts `leafGradients(leaf:part:)` produces, one a layer, last layer first; together
    /// they cover `0..<parameterCount` once.
    public var leafParts: [LeafPart] {
        layout.layers.indices.reversed().map { index in
            let layer = layout.layers[index]
            return LeafPart(layer: index, elements: layer.weightOffset..<(layer.biasOffset + layer.biasCount))
        }
    }

    /// Part `part` of `leafGradients` (one layer's weights and biases), so that every leaf's
    /// part can be done before the next part.
    public func leafGradients(
        leaf: Int, part: LeafPart, leafRows: Int, workspace: NetworkWorkspace, into destination: UnsafeMutablePointer<Float>,
        adding: Bool
    ) {
        let index = part.layer, layer = layout.layers[index]
        let window = (leaf * leafRows)..<((leaf + 1) * leafRows)
        let delta = UnsafePointer(workspace.layerDeltas[index].pointer)
        workspace.layerKernels.weightGradient(
            layer: index, delta: delta, rows: window, into: destination + layer.weightOffset, adding: adding)
        biasGradient(
            delta + window.lowerBound * layer.biasCount, rows: leafRows, count: layer.biasCount, workspace: workspace,
            into: destination + layer.biasOffset, adding: adding)
    }

    /// Whether leaf passes over `batch` give, bit for bit, the losses and gradients (written
    /// and added) of passes over each leaf alone through `leaf`, on random batches of
    /// `batch.capacity` rows: the row-wise products at the batch's size must compute each row
    /// as at the leaf's size, which is the kernel library's choice. Uses both workspaces'
    /// buffers (call before training).
    public func leafPassesMatch(batch: NetworkWorkspace, leaf: NetworkWorkspace, leafRows: Int) -> Bool {
        let rows = batch.capacity, leaves = rows / leafRows, count = layout.parameterCount
        guard runsLeafPasses(batch), leaves >= 1, rows % leafRows == 0, leafRows <= leaf.capacity else { return false }
        var random = RandomSource(seed: 0x4C45_4146, stream: UInt64(rows))
        let inputs = FloatBuffer(count: rows * layout.inputSize)
        for i in 0..<inputs.count { inputs[i] = Float(random.nextUnitDouble()) }
        let labels = (0..<rows).map { _ in Int32(random.next() % UInt64(layout.outputSize)) }
        let alone = FloatBuffer(count: count), together = FloatBuffer(count: count)
        let losses = UnsafeMutablePointer<Double>.allocate(capacity: leaves)
        defer { losses.deallocate() }
        return labels.withUnsafeBufferPointer { labels in
            guard let labels = labels.baseAddress else { return false }
            forwardAndLeafLosses(
                input: inputs.pointer, labels: labels, rows: rows, leafRows: leafRows, workspace: batch, losses: losses)
            backwardDeltas(workspace: batch)
            for index in 0..<leaves {
                let first = index * leafRows
                // Written by each path, then (from the 2nd leaf) added onto the leaf before's.
                for adding in index == 0 ? [false] : [false, true] {
                    if adding {
                        _ = forwardAndLoss(
                            input: inputs.pointer + (first - leafRows) * layout.inputSize, labels: labels + first - leafRows,
                            rows: leafRows, workspace: leaf)
                        backward(workspace: leaf, into: alone.pointer, adding: false, afterLayer: { _ in })
                        together.pointer.update(from: alone.pointer, count: count)
                    }
                    let loss = forwardAndLoss(
                        input: inputs.pointer + first * layout.inputSize, labels: labels + first, rows: leafRows, workspace: leaf)
                    backward(workspace: leaf, into: alone.pointer, adding: adding, afterLayer: { _ in })
                    leafGradients(
                        leaf: index, leafRows: leafRows, workspace: batch, into: together.pointer, adding: adding,
                        afterLayer: { _ in })
                    guard loss.bitPattern == losses[index].bitPattern,
                        (0..<count).allSatisfy({ alone[$0].bitPattern == together[$0].bitPattern })
                    else { return false }
                }
            }
            return true
        }
    }
}

/// A part of the gradients leaf passes produce at a time (`Network.leafParts`): one layer's weights
/// and biases.
public struct LeafPart: Sendable, Equatable {
    public let layer: Int
    /// Where the part is in the gradients' layout.
    public let elements: Range<Int>
}
