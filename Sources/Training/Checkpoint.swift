import Foundation
import MNISTData
import NeuralNet

/// Everything a run needs to continue exactly where it stopped: the parameters, the
/// optimizer state and the position in the schedule.
///
/// The batch order needs no stored generator state: it is a pure function of the seed, the
/// rank and the epoch, so `seed` and `nextEpoch` are the generator's state.
public struct Checkpoint: Equatable {
    /// The describing part, stored as JSON in the file.
    public struct Header: Codable, Equatable {
        public var nextEpoch: Int
        /// The step within `nextEpoch` to continue at (0 at an epoch boundary).
        public var nextStep: Int
        public var optimizerSteps: Int
        /// The summed cost of the steps of `nextEpoch` already taken (all ranks).
        public var partialLoss: Double
        /// Floats per row from input to output (`NetworkLayout.sizes`).
        public var layerSizes: [Int]
        public var activation: Activation
        public var optimizer: OptimizerConfiguration.Kind
        public var ranks: Int
        public var seed: UInt64
        /// A hash of the settings that shape the trajectory (see `trajectoryFingerprint`).
        public var fingerprint: String
        /// The values of the settings a resume refuses or warns about, by option
        /// (`TrainingConfiguration.resumeValues`; absent in checkpoints of older versions).
        public var settings: [String: String]? = nil
        public var parameterCount: Int
        public var firstMomentCount: Int
        public var secondMomentCount: Int
        /// The gradient reducer's state after the moments, as a section the reducer names
        /// (absent when the reducer keeps none).
        public var reducerState: ReducerSection? = nil
        /// Read only, from checkpoints written before reducer sections: PowerSGD's rank and the
        /// floats of its state (`reducerSection` turns them into a section). Spelled so that the
        /// snake-case JSON keys (`powersgd_rank`) convert back.
        public var powersgdRank: Int? = nil
        public var compressionStateCount: Int? = nil

        /// The reducer's section: `reducerState`, or the older PowerSGD fields as one.
        public var reducerSection: ReducerSection? {
            if let reducerState { return reducerState }
            guard let count = compressionStateCount, count != 0 else { return nil }
            return ReducerSection(name: PowerSGDReducer.stateName, tag: powersgdRank, count: count)
        }
        /// The preset the run started from (`seed`, `improved`; absent in older checkpoints):
        /// descriptive only, carried into exported models' metadata.
        public var preset: String? = nil
        /// The compression that ran (`--compression auto` resolved; absent in older
        /// checkpoints): a resume with `auto` keeps it rather than timing the links again.
        public var compression: String? = nil
        /// The layers of a model with convolutions or pooling, as `--model` lists them (absent
        /// for a multilayer perceptron, which `layerSizes` names), and the images it reads.
        public var model: String? = nil
        public var imageShape: ImageShape? = nil

        /// The layout these layers make.
        ///
        /// - Throws: `LayoutError` when `model` names no model (a crafted or damaged header).
        public func layout() throws(LayoutError) -> NetworkLayout {
            guard let model else { return NetworkLayout(sizes: layerSizes) }
            let image = imageShape ?? DataParallelTrainer.imageShape
            guard image.height > 0, image.width > 0, image.channels > 0, image.height <= 1 << 14, image.width <= 1 << 14,
                  image.channels <= 1 << 14
            else { throw LayoutError("an image shape of \(image)") }
            return try NetworkLayout(input: image, layers: try LayerSpec.parseList(model), maximumParameters: CheckpointFile.maximumParameterCount)
        }
    }

    /// A gradient reducer's state in a checkpoint: whose it is, what shape its values take
    /// (PowerSGD: its rank), how many floats follow the moments.
    public struct ReducerSection: Codable, Equatable, Sendable {
        /// The reducer that wrote it, e.g. "powersgd" (`GradientReducers.stateLayouts` checks it).
        public var name: String
        /// What the values' layout depends on (nil: nothing).
        public var tag: Int?
        public var count: Int

        public init(name: String, tag: Int?, count: Int) {
            self.name = name
            self.tag = tag
            self.count = count
        }
    }

    public var header: Header
    public var parameters: [Float]
    public var firstMoment: [Float]
    public var secondMoment: [Float]
    /// The reducer's state (`header.reducerSection` names it), so that a resumed run continues
    /// exactly; PowerSGD's: the warm-start Q factors (shared), then every rank's error feedback
    /// (`[ranks × parameterCount]`, by rank).
    public var compressionState: [Float] = []

    /// The architecture as text, e.g. "784-256-256-10 sigmoid" or "conv5x5x6p2,maxpool2,fc10 relu".
    public var architecture: String {
        (header.model ?? header.layerSizes.map(String.init).joined(separator: "-")) + " " + header.activation.rawValue
    }
}

extension TrainingConfiguration {
    /// A hash of every setting a resume refuses or warns about (`resumeValues`): a resumed run
    /// with the same fingerprint and rank count ends bit-identical to an uninterrupted one.
    public var trajectoryFingerprint: String {
        let text = resumeValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        return String(fnv1a64(Array(text.utf8)), radix: 16)
    }
}

/// FNV-1a, 64 bit, over `bytes`.
func fnv1a64<Bytes: Sequence>(_ bytes: Bytes, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64
where Bytes.Element == UInt8 {
    var hash = seed
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    return hash
}
