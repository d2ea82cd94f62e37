import ArgumentParser
import Foundation
import MNISTData
import ModelExport
import NeuralNet
import RunOutput
import Training

/// The file formats `export` writes.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case onnx, safetensors

    /// The format a file name's extension names, if any.
    init?(fileName: String) {
        switch URL(fileURLWithPath: fileName).pathExtension.lowercased() {
        case "onnx": self = .onnx
        case "safetensors": self = .safetensors
        default: return nil
        }
    }
}

/// `mnist-mpi export`: a checkpoint's model as ONNX or safetensors (one process).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint's model as ONNX or safetensors (one process, no mpirun needed).",
        discussion: """
            Both take [N, 784] float pixels scaled to 0...1 (grey level / 255, white digit on black), \
            as torchvision's ToTensor() gives. ONNX (opset 13): Gemm and the activation per layer \
            (a convolutional model: Reshape to [N, C, H, W], Conv, MaxPool/AveragePool, Flatten, \
            then Gemm), outputs `logits` and `probabilities` (softmax). safetensors: the tensors of \
            a PyTorch nn.Sequential of Linear layers (0.weight [256, 784], 0.bias, 2.weight, ...), \
            or of Unflatten, Conv2d, MaxPool2d/AvgPool2d, Flatten and Linear. Metadata: preset, \
            activation, data set, architecture and the test accuracy measured now.
            """)

    @Option(help: "A checkpoint written by `mnist-mpi train --checkpoint`.")
    var checkpoint: String

    @Option(help: "onnx or safetensors. (default: from --output's extension)")
    var format: ExportFormat?

    @Option(help: "The file to write (replaced atomically if it exists).")
    var output: String

    @Option(help: "Folder with the checkpoint's test set, for the accuracy in the metadata. (default: $MNIST_DIR or data/mnist; $FASHION_MNIST_DIR or data/fashion-mnist)")
    var data: String?

    func validate() throws {
        if format == nil, ExportFormat(fileName: output) == nil {
            throw ValidationError("--output \(output): name a .onnx or .safetensors file, or give --format onnx|safetensors")
        }
    }

    func run() throws {
        let logger = Logger(isPrinting: true)
        do {
            let chosenFormat = format ?? ExportFormat(fileName: output) ?? .onnx
            let classifier = try CheckpointClassifier(checkpointPath: checkpoint)
            let header = classifier.checkpoint.header
            var metadata: [(key: String, value: String)] = [
                ("producer", "mnist-mpi"),
                ("architecture", classifier.model.layout.architecture),
                ("activation", header.activation.rawValue),
                ("preset", header.preset ?? "unknown (checkpoint from an older version)"),
                ("dataset", classifier.dataset.rawValue),
                ("classes", classifier.dataset.classNames.joined(separator: ",")),
                ("input", "[N, \(classifier.inputSize)] float: 28x28 grey levels / 255, white digit on black, row-major"),
                ("optimizer", header.optimizer.rawValue),
                ("epochs_completed", "\(header.nextEpoch)"),
                ("optimizer_steps", "\(header.optimizerSteps)"),
            ]
            if !classifier.model.layout.isDense {
                metadata.append(("image", "\((header.imageShape ?? DataParallelTrainer.imageShape).description)"))
            }
            let directory = data ?? DataOptions.defaultDirectory(of: classifier.dataset)
            if FileManager.default.fileExists(atPath: directory) {
                let result = try CheckpointEvaluation.evaluate(classifier.model, dataDirectory: directory)
                metadata.append(("test_accuracy", String(format: "%.4f", result.accuracy)))
                metadata.append(("test_correct", "\(result.correct) of \(result.total)"))
                logger.info(String(format: "test accuracy %.2f%% (%d of %d), evaluated from %@", result.accuracy * 100,
                                   result.correct, result.total, directory))
            } else {
                logger.info("no test set at \(directory): the metadata carries no test accuracy (give --data DIR)")
            }
            let model = ExportedModel(
                layout: classifier.model.layout, activation: header.activation,
                parameters: classifier.checkpoint.parameters, metadata: metadata,
                image: classifier.model.layout.isDense ? nil : header.imageShape ?? DataParallelTrainer.imageShape)
            let bytes: [UInt8]
            switch chosenFormat {
            case .onnx:
                bytes = ONNXExport.encode(model, producerVersion: "checkpoint format \(CheckpointFile.formatVersion)")
            case .safetensors:
                bytes = try SafetensorsExport.encode(model)
            }
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw ValidationError("cannot write \(output): \((error as NSError).localizedFailureReason ?? error.localizedDescription); choose a writable --output")
            }
            logger.info("wrote \(output): \(chosenFormat.rawValue), \(classifier.checkpoint.architecture), \(bytes.count) bytes")
        } catch {
            Logger.error("\(error)")
            throw ExitCode.failure
        }
    }
}
