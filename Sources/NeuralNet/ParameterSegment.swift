/// One tensor's place in the flat parameter buffer, as the layer-wise optimizers (LARS, LAMB)
/// see it: they scale each segment's step by its own trust ratio.
public struct ParameterSegment: Sendable, Equatable {
    /// The tensor's elements in the flat buffer.
    public let range: Range<Int>
    /// Whether the trust ratio and weight decay apply (weight matrices); biases take the plain
    /// step, as in the LARS and LAMB papers' implementations.
    public let isAdapted: Bool

    public init(range: Range<Int>, isAdapted: Bool) {
        self.range = range
        self.isAdapted = isAdapted
    }
}

extension NetworkLayout {
    /// Every layer's weights (adapted) and biases (not), in buffer order (none for pooling).
    public var parameterSegments: [ParameterSegment] {
        layers.filter { $0.biasCount > 0 }.flatMap { layer in
            [
                ParameterSegment(range: layer.weightOffset..<layer.biasOffset, isAdapted: true),
                ParameterSegment(range: layer.biasOffset..<(layer.biasOffset + layer.biasCount), isAdapted: false),
            ]
        }
    }
}
