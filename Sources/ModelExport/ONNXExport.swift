import NeuralNet

/// Writes an `ExportedModel` as an ONNX `ModelProto` (onnx/onnx.proto field numbers).
///
/// The graph, one node per module of `ExportedModel.modules` (Linear modules at 0, 2, 4 ... of a
/// multilayer perceptron, as in PyTorch's `nn.Sequential`): `Gemm(x, "{i}.weight" [out, in],
/// "{i}.bias" [out], transB = 1)`, the activation (`Sigmoid`, `Tanh` or `Relu`) after hidden
/// layers; for a model with convolutions first `Reshape` to `[N, C, H, W]`, then `Conv`
/// (`[filters, C, k, k]` weights), `MaxPool`/`AveragePool` and `Flatten` before the first Gemm.
/// The last Gemm's output is `logits` `[N, classes]`, and `Softmax(axis = 1)` of it is
/// `probabilities`. Input `input` `[N, 784]` float, pixels scaled to 0...1 (see `ExportedModel`).
public enum ONNXExport {
    /// The operator set the graph uses: Gemm, Sigmoid, Tanh, Relu, Softmax, Reshape, Conv,
    /// MaxPool, AveragePool and Flatten as of opset 13 (Softmax over one axis), which every
    /// ONNX Runtime since 1.6 loads.
    public static let opsetVersion = 13
    /// IR version 7 (2020-05-08), the one opset 13 was released with.
    public static let irVersion = 7
    public static let inputName = "input", logitsName = "logits", probabilitiesName = "probabilities"

    // TensorProto.DataType.FLOAT and INT64, AttributeProto.AttributeType.INT and INTS.
    private static let floatType = 1, int64Type = 7, intAttribute = 2, intsAttribute = 7

    /// The serialized `ModelProto`.
    ///
    /// - Parameters:
    ///   - model: the network and its metadata.
    ///   - producerVersion: written as `producer_version`.
    public static func encode(_ model: ExportedModel, producerVersion: String) -> [UInt8] {
        ProtobufMessage.make { proto in
            proto.varint(1, irVersion)  // ir_version
            proto.string(2, "mnist-mpi")  // producer_name
            proto.string(3, producerVersion)  // producer_version
            proto.string(6, "\(model.layout.isDense ? "An MLP" : "A convolutional network") trained by mnist-mpi: input [N, \(model.layout.inputSize)] grey levels / 255 (white on black), outputs logits and softmax probabilities.")
            proto.message(7, graph(model))
            proto.message(8, .make { opset in  // opset_import: the default domain
                opset.string(1, "")
                opset.varint(2, opsetVersion)
            })
            for entry in model.metadata {  // metadata_props
                proto.message(14, .make { pair in
                    pair.string(1, entry.key)
                    pair.string(2, entry.value)
                })
            }
        }.bytes
    }

    /// GraphProto: nodes, name, initializers, inputs, outputs. One node per module of
    /// `model.modules`, named by its position (the tensors' prefix).
    private static func graph(_ model: ExportedModel) -> ProtobufMessage {
        ProtobufMessage.make { graph in
            var current = inputName
            let lastDense = model.modules.lastIndex { if case .dense = $0 { return true } else { return false } }
            var reshapeShapes: [(name: String, values: [Int])] = []
            for (position, module) in model.modules.enumerated() {
                let output = position == lastDense ? logitsName : "\(position).output"
                let name = "\(position)"
                let weight = ExportedModel.tensorName(module: position, "weight")
                let bias = ExportedModel.tensorName(module: position, "bias")
                switch module {
                case .unflatten(let image):
                    let shape = "\(position).shape"
                    reshapeShapes.append((shape, [-1, image.channels, image.height, image.width]))
                    graph.message(1, node("Reshape", name: name, inputs: [current, shape], output: output))
                case .convolution(_, let convolution):
                    let (k, s, p) = (convolution.kernel, convolution.stride, convolution.padding)
                    graph.message(1, node("Conv", name: name, inputs: [current, weight, bias], output: output,
                                          listAttributes: [("kernel_shape", [k, k]), ("strides", [s, s]), ("pads", [p, p, p, p])]))
                case .pooling(let pooling):
                    let (k, s) = (pooling.window, pooling.stride)
                    graph.message(1, node(pooling.mode == .max ? "MaxPool" : "AveragePool", name: name, inputs: [current],
                                          output: output, listAttributes: [("kernel_shape", [k, k]), ("strides", [s, s])]))
                case .flatten:
                    graph.message(1, node("Flatten", name: name, inputs: [current], output: output, intAttributes: [("axis", 1)]))
                case .dense:
                    graph.message(1, node("Gemm", name: name, inputs: [current, weight, bias], output: output,
                                          intAttributes: [("transB", 1)]))
                case .activation:
                    graph.message(1, node(operatorName(model.activation), name: name, inputs: [current], output: output))
                }
                current = output
            }
            graph.message(1, node("Softmax", name: "softmax", inputs: [logitsName], output: probabilitiesName,
                                  intAttributes: [("axis", 1)]))
            graph.string(2, model.layout.isDense ? "mnist_mlp" : "mnist_cnn")
            for tensor in model.tensors {
                graph.message(5, .make { proto in  // TensorProto
                    for dimension in tensor.shape { proto.varint(1, dimension) }
                    proto.varint(2, floatType)
                    proto.string(8, tensor.name)
                    proto.bytes(9, littleEndianBytes(tensor.values))  // raw_data
                })
            }
            for shape in reshapeShapes {
                graph.message(5, .make { proto in
                    proto.varint(1, shape.values.count)
                    proto.varint(2, int64Type)
                    proto.string(8, shape.name)
                    var bytes: [UInt8] = []
                    for value in shape.values { withUnsafeBytes(of: Int64(value).littleEndian) { bytes.append(contentsOf: $0) } }
                    proto.bytes(9, bytes)
                })
            }
            graph.message(11, valueInfo(inputName, columns: model.layout.inputSize))
            graph.message(12, valueInfo(logitsName, columns: model.layout.outputSize))
            graph.message(12, valueInfo(probabilitiesName, columns: model.layout.outputSize))
        }
    }

    /// The ONNX operator of a hidden activation.
    static func operatorName(_ activation: Activation) -> String {
        switch activation {
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case .relu: return "Relu"
        }
    }

    /// NodeProto with integer and integer-list attributes.
    private static func node(
        _ operatorType: String, name: String, inputs: [String], output: String, intAttributes: [(String, Int)] = [],
        listAttributes: [(String, [Int])] = []
    ) -> ProtobufMessage {
        ProtobufMessage.make { node in
            for input in inputs { node.string(1, input) }
            node.string(2, output)
            node.string(3, name)
            node.string(4, operatorType)
            for (attributeName, value) in intAttributes {
                node.message(5, .make { attribute in
                    attribute.string(1, attributeName)
                    attribute.varint(3, value)  // i
                    attribute.varint(20, intAttribute)  // type
                })
            }
            for (attributeName, values) in listAttributes {
                node.message(5, .make { attribute in
                    attribute.string(1, attributeName)
                    for value in values { attribute.varint(8, value) }  // ints
                    attribute.varint(20, intsAttribute)  // type
                })
            }
        }
    }

    /// ValueInfoProto of a float `[N, columns]` tensor, N symbolic.
    private static func valueInfo(_ name: String, columns: Int) -> ProtobufMessage {
        ProtobufMessage.make { info in
            info.string(1, name)
            info.message(2, .make { type in  // TypeProto
                type.message(1, .make { tensor in  // TypeProto.Tensor
                    tensor.varint(1, floatType)
                    tensor.message(2, .make { shape in  // TensorShapeProto
                        shape.message(1, .make { $0.string(2, "N") })  // dim_param
                        shape.message(1, .make { $0.varint(1, columns) })  // dim_value
                    })
                })
            })
        }
    }
}
