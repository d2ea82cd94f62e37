// mnist-mpi-fuzz: the libFuzzer targets for what crafted input reaches: the IDX reader (plain
// and gzip), the checkpoint decoder, the training options' validation and predict's image
// decoders (PNG through libpng, PGM) with the MNIST-form fitting. Built normally it replays files (a crash's input, a
// corpus); built with `--sanitize fuzzer --sanitize address -Xswiftc -DFUZZING` (scripts/fuzz.sh)
// libFuzzer drives the target MNIST_MPI_FUZZ_TARGET names.
//   mnist-mpi-fuzz idx|checkpoint|options|image FILE...                        replay
//   MNIST_MPI_FUZZ_TARGET=checkpoint .build-fuzz/.../mnist-mpi-fuzz CORPUS      fuzz
import DigitImages
import Foundation
import MNISTData
import NeuralNet
import Training

/// Where the IDX target writes each input: the reader takes a path (plain or gzip).
let idxScratch = NSTemporaryDirectory() + "mnist-mpi-fuzz-idx-\(getpid())"

/// Any bytes as an image file and as a label file: data or an MNISTDataError, never a trap.
func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let contents = data.map { Data(bytes: $0, count: size) } ?? Data()
    guard FileManager.default.createFile(atPath: idxScratch, contents: contents) else { return 0 }
    for dimensionCount in [1, 3] {
        if let header = try? IDXFile.readHeader(path: idxScratch, dimensionCount: dimensionCount) {
            _ = try? IDXFile.readItems(path: idxScratch, dimensionCount: dimensionCount, range: 0..<min(header.itemCount, 3))
        }
        _ = try? IDXFile.readItems(path: idxScratch, dimensionCount: dimensionCount, range: 0..<1)
    }
    return 0
}

/// Any bytes as a checkpoint file: a checkpoint or a CheckpointError, never a trap; what is
/// accepted must be usable (the payload matches the layout its header names). The input is
/// decoded as it is and, since random bytes almost never carry a valid checksum, again with a
/// correct FNV-1a checksum appended, so the fuzzer reaches the header and payload checks.
func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var checksum: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { checksum = (checksum ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    let sealed = bytes + withUnsafeBytes(of: checksum.littleEndian) { Array($0) }
    for candidate in [bytes, sealed] {
        if let checkpoint = try? CheckpointFile.decode(candidate, path: "fuzz.ckpt") {
            let layout = NetworkLayout(sizes: checkpoint.header.layerSizes)
            precondition(layout.parameterCount == checkpoint.parameters.count, "accepted an inconsistent checkpoint")
        }
    }
    return 0
}

/// Any bytes as option values: validation accepts or throws TrainingError; what it accepts
/// must not trap in the arithmetic that follows (per-rank batch, schedule, layer sizes).
func fuzzOptions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = ByteReader(data: data, size: size)
    var config = reader.nextBool() ? TrainingConfiguration.seed : .improved
    config.optimization.epochs = reader.nextInt()
    config.optimization.batchSize = reader.nextInt()
    config.optimization.globalBatch = reader.nextBool() ? reader.nextInt() : nil
    config.optimization.learningRate = reader.nextDouble()
    config.optimization.lrReferenceBatch = reader.nextBool() ? reader.nextInt() : nil
    config.optimization.warmupEpochs = reader.nextBool() ? reader.nextDouble() : nil
    config.optimization.learningRateScaling = LearningRateScaling.allCases[reader.nextIndex(LearningRateScaling.allCases.count)]
    config.optimization.optimizer.kind = OptimizerConfiguration.Kind.allCases[reader.nextIndex(OptimizerConfiguration.Kind.allCases.count)]
    config.optimization.optimizer.momentum = reader.nextDouble()
    config.optimization.optimizer.trustCoefficient = reader.nextDouble()
    config.model.hiddenSizes = (0..<reader.nextIndex(4)).map { _ in reader.nextInt() }
    config.reporting.logEvery = reader.nextInt()
    config.reporting.evalEvery = reader.nextInt()
    config.reliability.stallTimeout = reader.nextDouble()
    config.data.trainLimit = reader.nextBool() ? reader.nextInt() : nil
    guard (try? config.validate()) != nil else { return 0 }
    let ranks = 1 + reader.nextIndex(64)
    if let batch = try? config.perRankBatch(ranks: ranks) {
        let schedule = LearningRateSchedule(config, globalBatch: batch * ranks, stepsPerEpoch: 1 + reader.nextIndex(1000))
        _ = schedule.rate(atStep: reader.nextIndex(1 << 20))
    }
    _ = config.layerSizes(inputSize: 784, classCount: 10)
    return 0
}

/// Any bytes as a picture for `predict`: an image or an ImageError, never a trap; what decodes
/// is fitted into MNIST's form (or found blank), which must give 28 x 28 levels.
func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let image = try? ImageFile.decode(bytes, path: "fuzz"), image.width * image.height <= 1 << 20 else { return 0 }
    for fitting in MNISTForm.Fitting.allCases {
        if let field = try? MNISTForm.digit(from: image, path: "fuzz", fitting: fitting) {
            precondition(field.count == 28 * 28, "a fitted picture of \(field.count) levels")
        }
    }
    return 0
}

/// Reads fuzz bytes as values, with zeros past the end.
struct ByteReader {
    let data: UnsafePointer<UInt8>?
    let size: Int
    var offset = 0

    mutating func nextUInt64() -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 {
            let byte: UInt8 = offset < size ? (data?[offset] ?? 0) : 0
            value = value << 8 | UInt64(byte)
            offset += 1
        }
        return value
    }

    mutating func nextInt() -> Int { Int(truncatingIfNeeded: nextUInt64()) }
    mutating func nextDouble() -> Double { Double(bitPattern: nextUInt64()) }
    mutating func nextBool() -> Bool { nextUInt64() & 1 == 1 }
    mutating func nextIndex(_ count: Int) -> Int { Int(nextUInt64() % UInt64(count)) }
}

/// The targets by name.
let fuzzTargets: [String: (UnsafePointer<UInt8>?, Int) -> Int32] = [
    "idx": fuzzIDX,
    "checkpoint": fuzzCheckpoint,
    "options": fuzzOptions,
    "image": fuzzImage,
]

#if FUZZING
/// The target MNIST_MPI_FUZZ_TARGET names (scripts/fuzz.sh sets it).
let selectedTarget: (UnsafePointer<UInt8>?, Int) -> Int32 = {
    let name = ProcessInfo.processInfo.environment["MNIST_MPI_FUZZ_TARGET"] ?? ""
    guard let target = fuzzTargets[name] else {
        fatalError("set MNIST_MPI_FUZZ_TARGET to one of \(fuzzTargets.keys.sorted())")
    }
    return target
}()

/// libFuzzer's entry point (its own main drives it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selectedTarget(data, size)
}
#else
/// Replay: every file given, one at a time, through the named target.
@main
enum FuzzReplay {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = fuzzTargets[arguments[1]] else {
            FileHandle.standardError.write(Data("usage: mnist-mpi-fuzz idx|checkpoint|options|image FILE...\n".utf8))
            exit(2)
        }
        for path in arguments.dropFirst(2) {
            guard let contents = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("error: cannot read \(path)\n".utf8))
                exit(1)
            }
            _ = contents.withUnsafeBytes { target($0.bindMemory(to: UInt8.self).baseAddress, contents.count) }
            print("replayed \(path): no crash")
        }
    }
}
#endif
