import Foundation
import NeuralNet
import RunOutput
import Testing
@testable import ModelExport

/// The two formats read back field by field: the tensors hold the checkpoint's parameters in
/// PyTorch's layout, the metadata arrives, the ONNX graph has the promised nodes. The real
/// readers (onnx.checker, ONNX Runtime, safetensors, torch) run in scripts/export/export-test.sh.
@Suite struct ExportFormatTests {
    /// A 3-4-2 model whose every parameter is distinct.
    private func model(_ activation: Activation = .relu) -> ExportedModel {
        let layout = NetworkLayout(sizes: [3, 4, 2])
        return ExportedModel(
            layout: layout, activation: activation,
            parameters: (0..<layout.parameterCount).map { Float($0) * 0.25 - 3 },
            metadata: [("preset", "seed"), ("activation", activation.rawValue)])
    }

    private func floats(_ bytes: ArraySlice<UInt8>) -> [Float] {
        stride(from: bytes.startIndex, to: bytes.endIndex, by: 4).map { start in
            Float(bitPattern: bytes[start..<(start + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) })
        }
    }

    @Test func linearWeightIsTheTransposeInPyTorchOrder() {
        let model = model()
        // Layer 0 stores [in 3, out 4]: stored[i * 4 + o] = linear[o * 3 + i].
        let weight = model.linearWeight(layer: 0)
        for input in 0..<3 {
            for output in 0..<4 { #expect(weight[output * 3 + input] == model.parameters[input * 4 + output]) }
        }
        #expect(model.tensors.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(model.tensors.map(\.shape) == [[4, 3], [4], [2, 4], [2]])
    }

    @Test func safetensorsHeaderAndDataMatch() throws {
        let model = model()
        let bytes = try SafetensorsExport.encode(model)
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(headerLength % 8 == 0)
        let header = try #require(
            try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        let metadata = try #require(header["__metadata__"] as? [String: String])
        #expect(metadata == ["preset": "seed", "activation": "relu"])
        var end = 0
        for tensor in model.tensors {
            let entry = try #require(header[tensor.name] as? [String: Any], "\(tensor.name) missing")
            #expect(entry["dtype"] as? String == "F32")
            #expect(entry["shape"] as? [Int] == tensor.shape)
            let offsets = try #require(entry["data_offsets"] as? [Int])
            #expect(offsets[0] == end, "tensors contiguous")
            end = offsets[1]
            let start = 8 + headerLength
            #expect(floats(bytes[(start + offsets[0])..<(start + offsets[1])]) == tensor.values)
        }
        #expect(8 + headerLength + end == bytes.count, "nothing after the last tensor")
    }

    /// The fields of one protobuf message: (field number, varint value or bytes).
    private func fields(_ bytes: [UInt8]) throws -> [(field: Int, value: UInt64, bytes: [UInt8])] {
        var offset = 0, result: [(field: Int, value: UInt64, bytes: [UInt8])] = []
        while offset < bytes.count {
            let key = try #require(ProtobufEncoding.readVarint(bytes, &offset))
            switch UInt8(key & 7) {
            case ProtobufEncoding.varint:
                result.append((Int(key >> 3), try #require(ProtobufEncoding.readVarint(bytes, &offset)), []))
            case ProtobufEncoding.lengthDelimited:
                let length = Int(try #require(ProtobufEncoding.readVarint(bytes, &offset)))
                result.append((Int(key >> 3), 0, Array(bytes[offset..<(offset + length)])))
                offset += length
            case ProtobufEncoding.fixed32:
                result.append((Int(key >> 3), 0, Array(bytes[offset..<(offset + 4)])))
                offset += 4
            default:
                Issue.record("unexpected wire type in key \(key)")
                return result
            }
        }
        return result
    }

    private func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test(arguments: Activation.allCases) func onnxGraphHasTheLayersAndTensors(activation: Activation) throws {
        let model = model(activation)
        let proto = try fields(ONNXExport.encode(model, producerVersion: "test"))
        #expect(proto.first { $0.field == 1 }?.value == UInt64(ONNXExport.irVersion))
        let opset = try fields(try #require(proto.first { $0.field == 8 }).bytes)
        #expect(opset.first { $0.field == 2 }?.value == UInt64(ONNXExport.opsetVersion))
        let metadata = try proto.filter { $0.field == 14 }.map { try fields($0.bytes).map { string($0.bytes) } }
        #expect(metadata == [["preset", "seed"], ["activation", activation.rawValue]])

        let graph = try fields(try #require(proto.first { $0.field == 7 }).bytes)
        let nodes = try graph.filter { $0.field == 1 }.map { try fields($0.bytes) }
        let operators = nodes.map { node in node.first { $0.field == 4 }.map { string($0.bytes) } ?? "" }
        let hidden = ONNXExport.operatorName(activation)
        #expect(operators == ["Gemm", hidden, "Gemm", "Softmax"])
        // The chain: each node reads the previous one's output; the last Gemm writes `logits`.
        var current = ONNXExport.inputName
        for node in nodes {
            let inputs = node.filter { $0.field == 1 }.map { string($0.bytes) }
            #expect(inputs.first == current)
            current = try #require(node.first { $0.field == 2 }.map { string($0.bytes) })
        }
        #expect(current == ONNXExport.probabilitiesName)

        let initializers = try graph.filter { $0.field == 5 }.map { try fields($0.bytes) }
        for (tensor, initializer) in zip(model.tensors, initializers) {
            #expect(initializer.filter { $0.field == 1 }.map { Int($0.value) } == tensor.shape)
            #expect(initializer.first { $0.field == 8 }.map { string($0.bytes) } == tensor.name)
            let raw = try #require(initializer.first { $0.field == 9 }).bytes
            #expect(floats(raw[...]) == tensor.values)
        }
        #expect(initializers.count == model.tensors.count)
        #expect(graph.filter { $0.field == 11 }.count == 1 && graph.filter { $0.field == 12 }.count == 2)
    }
}
