import NeuralNet

/// Writes an `ExportedModel` as an ONNX `ModelProto` (onnx/onnx.proto field numbers).
///
/// The graph, per layer `l` (Linear modules at 0, 2, 4 ... as in PyTorch's `nn.Sequential`):
/// `Gemm(x, "{2l}.weight" [out, in], "{2l}.bias" [out], transB = 1)` then the activation
/// (`Sigmoid`, `Tanh` or `Relu`) on hidden layers; the last Gemm's output is `logits`
/// `[N, classes]`, and `Softmax(axis = 1)` of it is `probabilities`. Input `input` `[N, 784]`
/// float, pixels scaled to 0...1 (see `ExportedModel`).
public enum ONNXExport {
    /// The operator set the graph uses: Gemm, Sigmoid, Tanh, Relu and Softmax as of opset 13
    /// (Softmax over one axis), which every ONNX Runtime since 1.6 loads.
    public static let opsetVersion = 13
    /// IR version 7 (2020-05-08), the one opset 13 was released with.
    public static let irVersion = 7
    public static let inputName = "input", logitsName = "logits", probabilitiesName = "probabilities"

    // TensorProto.DataType.FLOAT and AttributeProto.AttributeType.INT.
    private static let floatType = 1, intAttribute = 2

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
            proto.string(6, "An MLP trained by mnist-mpi: input [N, \(model.layout.inputSize)] grey levels / 255 (white on black), outputs logits and softmax probabilities.")
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

    /// GraphProto: nodes, name, initializers, inputs, outputs.
    private static func graph(_ model: ExportedModel) -> ProtobufMessage {
        let layers = model.layout.layers
        return ProtobufMessage.make { graph in
            var current = inputName
            for index in layers.indices {
                let last = index == layers.count - 1
                let weight = ExportedModel.tensorName(layer: index, "weight")
                let bias = ExportedModel.tensorName(layer: index, "bias")
                let linear = last ? logitsName : "\(2 * index).output"
                graph.message(1, node("Gemm", name: "\(2 * index)", inputs: [current, weight, bias], output: linear,
                                      intAttributes: [("transB", 1)]))
                current = linear
                if !last {
                    let activated = "\(2 * index + 1).output"
                    graph.message(1, node(operatorName(model.activation), name: "\(2 * index + 1)",
                                          inputs: [current], output: activated))
                    current = activated
                }
            }
            graph.message(1, node("Softmax", name: "softmax", inputs: [logitsName], output: probabilitiesName,
                                  intAttributes: [("axis", 1)]))
            graph.string(2, "mnist_mlp")
            for tensor in model.tensors {
                graph.message(5, .make { proto in  // TensorProto
                    for dimension in tensor.shape { proto.varint(1, dimension) }
                    proto.varint(2, floatType)
                    proto.string(8, tensor.name)
                    proto.bytes(9, littleEndianBytes(tensor.values))  // raw_data
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

    /// NodeProto with integer attributes.
    private static func node(
        _ operatorType: String, name: String, inputs: [String], output: String, intAttributes: [(String, Int)] = []
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
