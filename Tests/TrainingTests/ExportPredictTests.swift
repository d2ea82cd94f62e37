import DigitImages
import Foundation
import MNISTData
import TestSupport
import Testing

/// `mnist-mpi export` and `predict` run as a user runs them, on a checkpoint a real training
/// run wrote; and every bad file they can be given ends in one line. The PyPI readers check
/// the exported files in scripts/export/export-test.sh.
@Suite(.serialized) struct ExportPredictTests {
    private func temporary() throws -> String { try MPIJob.temporaryDirectory("export") }

    /// A checkpoint of a short real run (improved preset, 6000 images, 1 epoch).
    private func trainedCheckpoint(in folder: String) throws -> String {
        let path = folder + "/model.ckpt"
        let run = try MPIJob.run(ranks: 2, [
            "train", "--preset", "improved", "--data", MPIJob.mnistDirectory, "--train-limit", "6000",
            "--test-limit", "1000", "--eval-every", "0", "--epochs", "1", "--checkpoint", path,
        ])
        try #require(run.status == 0, "\(run.stderr)")
        return path
    }

    @Test func exportWritesBothFormatsAndPredictAgreesWithEvaluate() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try trainedCheckpoint(in: folder)
        for name in ["model.onnx", "model.safetensors"] {
            let export = try MPIJob.runAlone(["export", "--checkpoint", checkpoint, "--output", folder + "/" + name,
                                              "--data", MPIJob.mnistDirectory])
            #expect(export.status == 0 && export.stderr.isEmpty, "\(export.stderr)")
            #expect(export.stdout.contains("test accuracy") && export.stdout.contains("wrote \(folder)/\(name)"), "\(export.stdout)")
            let size = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int ?? 0
            #expect(size > 269_322 * 4, "\(name) holds every parameter: \(size) bytes")
        }

        // The first 30 test images as PNG files: predict gives evaluate's answer for each.
        let count = 30
        let images = try MNISTSource(directory: MPIJob.mnistDirectory, split: .test).load(range: 0..<count)
        var paths: [String] = []
        for index in 0..<count {
            let pixels = Array(images.pixels[(index * 784)..<((index + 1) * 784)])
            let png = try #require(PNGCodec.encode(grey: pixels, width: 28, height: 28))
            paths.append(folder + "/digit-\(index).png")
            try Data(png).write(to: URL(fileURLWithPath: paths[index]))
        }
        let evaluate = try MPIJob.runAlone(["evaluate", "--checkpoint", checkpoint, "--data", MPIJob.mnistDirectory,
                                            "--test-limit", "\(count)", "--save-logits", folder + "/logits.f32"])
        try #require(evaluate.status == 0, "\(evaluate.stderr)")
        let logits = try Data(contentsOf: URL(fileURLWithPath: folder + "/logits.f32")).withUnsafeBytes {
            Array($0.bindMemory(to: Float.self))
        }
        try #require(logits.count == count * 10)
        let predict = try MPIJob.runAlone(["predict", "--checkpoint", checkpoint, "--json"] + paths)
        try #require(predict.status == 0, "\(predict.stderr)")
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [[String: Any]])
        try #require(answers.count == count)
        for (index, answer) in answers.enumerated() {
            let row = logits[(index * 10)..<((index + 1) * 10)]
            let expected = try #require(row.indices.max { row[$0] < row[$1] }) - index * 10
            #expect(answer["class"] as? Int == expected, "digit-\(index).png")
            let top = try #require(answer["top3"] as? [[String: Any]])
            let probabilities = top.compactMap { $0["probability"] as? Double }
            #expect(probabilities.count == 3 && probabilities == probabilities.sorted(by: >) && probabilities.reduce(0, +) <= 1 + 1e-9)
        }
        // The plain form: one line per picture, the class first.
        let plain = try MPIJob.runAlone(["predict", "--checkpoint", checkpoint, paths[0]])
        #expect(plain.stdout.hasPrefix("\(paths[0]): \(answers[0]["class"] as? Int ?? -1)"), "\(plain.stdout)")
    }

    /// Pictures that cannot be classified: each one line naming the file, exit 1; the good
    /// pictures beside a bad one are still answered.
    @Test func badPicturesGetOneLine() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try trainedCheckpoint(in: folder)
        let good = try #require(PNGCodec.encode(grey: (0..<784).map { UInt8(($0 % 28) * 9) }, width: 28, height: 28))
        var huge = good
        huge.replaceSubrange(16..<24, with: [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0])  // 100000 x 100000, stale CRC
        let cases: [(name: String, bytes: [UInt8]?, expected: String)] = [
            ("text.png", Array("hello".utf8), "not a PNG or PGM image"),
            ("empty.png", [], "is empty"),
            ("truncated.png", Array(good.prefix(good.count / 2)), "not a valid PNG image"),
            ("crc.png", huge, "not a valid PNG image"),
            ("huge.pgm", Array("P5 100000 100000 255\n".utf8), "over the 50000000-pixel limit"),
            ("blank.pgm", Array("P5 30 30 255\n".utf8) + [UInt8](repeating: 128, count: 900), "holds no digit"),
            ("missing.png", nil, "cannot read image"),
        ]
        for item in cases {
            let path = folder + "/" + item.name
            if let bytes = item.bytes { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
            let arguments = ["predict", "--checkpoint", checkpoint, path]
            let outcome = try MPIJob.runAlone(arguments)
            BadInputTests.expectOneLineFailure(outcome, arguments, mentioning: item.expected)
            #expect(outcome.stderr.contains(path), "\(outcome.stderr)")
        }
        let goodPath = folder + "/good.png"
        try Data(good).write(to: URL(fileURLWithPath: goodPath))
        let mixed = try MPIJob.runAlone(["predict", "--checkpoint", checkpoint, folder + "/text.png", goodPath])
        #expect(mixed.status == 1 && mixed.errorLines.count == 1, "\(mixed.stderr)")
        #expect(mixed.stdout.contains(goodPath + ": "), "the good picture is still answered: \(mixed.stdout)")
    }

    /// Bad checkpoints and outputs for `export`: one line, and an existing output untouched.
    @Test func badExportsGetOneLine() throws {
        let folder = try temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = try trainedCheckpoint(in: folder)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: folder + "/truncated.ckpt"))
        var flipped = bytes
        flipped[bytes.count - 10] ^= 0x40
        try flipped.write(to: URL(fileURLWithPath: folder + "/flipped.ckpt"))
        try Data("MNMPICKP garbage".utf8).write(to: URL(fileURLWithPath: folder + "/crafted.ckpt"))
        let existing = folder + "/existing.onnx"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: existing))
        let cases: [(arguments: [String], expected: String)] = [
            (["--checkpoint", folder + "/truncated.ckpt", "--output", existing], "truncated.ckpt"),
            (["--checkpoint", folder + "/flipped.ckpt", "--output", existing], "flipped.ckpt"),
            (["--checkpoint", folder + "/crafted.ckpt", "--output", existing], "crafted.ckpt"),
            (["--checkpoint", folder + "/none.ckpt", "--output", existing], "no checkpoint at"),
            (["--checkpoint", checkpoint, "--output", "/proc/no/model.onnx", "--data", "/none"], "cannot write /proc/no/model.onnx"),
            (["--checkpoint", checkpoint, "--output", folder + "/model.txt"], "name a .onnx or .safetensors file"),
        ]
        for item in cases {
            let arguments = ["export"] + item.arguments
            BadInputTests.expectOneLineFailure(try MPIJob.runAlone(arguments), arguments, mentioning: item.expected)
        }
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep me", "a failed export leaves the file")
    }
}
