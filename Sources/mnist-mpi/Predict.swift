import ArgumentParser
import DigitImages
import Foundation
import RunOutput
import Training

/// `mnist-mpi predict`: the class and top three probabilities of pictures (PNG or PGM).
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify PNG or PGM pictures with a checkpoint's model (one process, no mpirun needed).",
        discussion: """
            Any size and either polarity: each picture is brought to MNIST's form (grey levels, \
            white on black, the digit fitted in 20x20 and centred by its centre of mass in 28x28); \
            28x28 pictures are taken as they are unless --fit always. A picture that cannot be read \
            gets one line; the others are still classified (exit status 1).
            """)

    @Option(help: "A checkpoint written by `mnist-mpi train --checkpoint`.")
    var checkpoint: String

    @Flag(help: "One JSON document on standard output: per picture the class and the top three.")
    var json = false

    @Option(help: "auto (28x28 as they are, others fitted and centred) or always. (default: auto)")
    var fit: MNISTForm.Fitting = .auto

    @Argument(help: "PNG or PGM files.")
    var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one PNG or PGM file") }
    }

    func run() throws {
        let classifier: CheckpointClassifier
        do {
            classifier = try CheckpointClassifier(checkpointPath: checkpoint)
        } catch {
            Logger.error("\(error)")
            throw ExitCode.failure
        }
        guard classifier.inputSize == MNISTForm.side * MNISTForm.side else {
            Logger.error("checkpoint \(checkpoint) takes \(classifier.inputSize) pixels, not 28x28 pictures: predict needs a model trained on MNIST-sized images")
            throw ExitCode.failure
        }
        var readable: [(path: String, pixels: [UInt8])] = []
        var failures = 0
        for path in images {
            do {
                let image = try ImageFile.read(path: path)
                readable.append((path, try MNISTForm.digit(from: image, path: path, fitting: fit)))
            } catch {
                Logger.error("\(error)")
                failures += 1
            }
        }
        let predictions = try classify(readable, with: classifier)
        if json {
            let data = try JSONSerialization.data(withJSONObject: predictions.map(\.json), options: [.prettyPrinted, .sortedKeys])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            let logger = Logger(isPrinting: true)
            predictions.forEach { logger.info($0.line) }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    /// One picture's answer.
    struct Prediction {
        let path: String
        let top: [(name: String, index: Int, probability: Double)]

        var line: String {
            let others = top.map { String(format: "%@ %.1f%%", $0.name, $0.probability * 100) }.joined(separator: ", ")
            return "\(path): \(top[0].name)   (\(others))"
        }

        var json: [String: Any] {
            [
                "image": path, "class": top[0].index, "label": top[0].name,
                "top3": top.map { ["class": $0.index, "label": $0.name, "probability": $0.probability] as [String: Any] },
            ]
        }
    }

    /// The top three classes of each picture.
    private func classify(_ pictures: [(path: String, pixels: [UInt8])], with classifier: CheckpointClassifier) throws -> [Prediction] {
        let classes = classifier.classCount
        let logits = try classifier.logits(pixels: pictures.flatMap(\.pixels), rows: pictures.count)
        let probabilities = CheckpointClassifier.probabilities(logits: logits, classes: classes)
        let names = classifier.dataset.classNames
        return pictures.enumerated().map { row, picture in
            let line = Array(probabilities[(row * classes)..<((row + 1) * classes)])
            let order = line.indices.sorted { line[$0] > line[$1] }.prefix(3)
            return Prediction(
                path: picture.path,
                top: order.map { ($0 < names.count ? names[$0] : "\($0)", $0, line[$0]) })
        }
    }
}

extension MNISTForm.Fitting: ExpressibleByArgument {}
