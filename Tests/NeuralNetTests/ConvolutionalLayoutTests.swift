import Testing
@testable import NeuralNet

/// Layer lists as users write them, and the layouts (shapes, offsets, errors) they make.
@Suite struct ConvolutionalLayoutTests {
    static let mnist = ImageShape(height: 28, width: 28, channels: 1)

    @Test func lenet5HasThePapersParameterCount() throws {
        let layers = try LayerSpec.parseList("conv5x5x6p2,maxpool2,conv5x5x16,maxpool2,fc120,fc84,fc10")
        let layout = try NetworkLayout(input: ConvolutionalLayoutTests.mnist, layers: layers)
        // LeCun et al. 1998's LeNet-5 with a full C3: 61,706 weights and biases.
        #expect(layout.parameterCount == 61_706)
        #expect(layout.sizes == [784, 28 * 28 * 6, 14 * 14 * 6, 10 * 10 * 16, 5 * 5 * 16, 120, 84, 10])
        #expect(layout.layers.map(\.activated) == [true, false, true, false, true, true, false])
        var expected = 0
        for layer in layout.layers {
            #expect(layer.weightOffset == expected)
            #expect(layer.biasOffset == expected + layer.weightCount)
            expected = layer.biasOffset + layer.biasCount
        }
        #expect(expected == layout.parameterCount)
        #expect(layout.architecture == "conv5x5x6p2,maxpool2,conv5x5x16,maxpool2,fc120,fc84,fc10")
    }

    @Test(arguments: [
        ("conv3x3x32", LayerSpec.convolution(filters: 32, kernel: 3, stride: 1, padding: 0)),
        ("Conv5x5x6P2", .convolution(filters: 6, kernel: 5, stride: 1, padding: 2)),
        ("conv3x3x8s2p1", .convolution(filters: 8, kernel: 3, stride: 2, padding: 1)),
        ("pool2", .pooling(.max, window: 2, stride: 2)),
        ("maxpool3s2", .pooling(.max, window: 3, stride: 2)),
        ("avgpool2", .pooling(.average, window: 2, stride: 2)),
        ("fc128", .dense(outputs: 128)),
        ("dense10", .dense(outputs: 10)),
    ])
    func layersParseAndPrintBack(text: String, expected: LayerSpec) throws {
        let parsed = try LayerSpec(parsing: text)
        #expect(parsed == expected)
        #expect(try LayerSpec(parsing: parsed.description) == parsed)
    }

    @Test(arguments: [
        "conv3x3", "conv3x5x8", "conv0x0x4", "conv3x3x4q1", "conv3x3x4p", "conv3x3x4s0", "pool", "maxpool0",
        "fc", "fc-3", "relu", "", "conv3x3x4p1p1", "fc99999999999999999999",
    ])
    func malformedLayersAreRefused(text: String) {
        #expect(throws: LayoutError.self) { try LayerSpec.parseList(text) }
    }

    @Test func layersThatDoNotFitAreNamed() throws {
        let mnist = ConvolutionalLayoutTests.mnist
        func message(_ text: String) throws -> String? {
            do {
                _ = try NetworkLayout(input: mnist, layers: LayerSpec.parseList(text))
                return nil
            } catch {
                return error.message
            }
        }
        #expect(try message("conv5x5x6,pool2,conv5x5x16,pool2,conv5x5x8,fc10")?.contains("layer 5 (conv5x5x8)") == true)
        #expect(try message("fc100,conv3x3x4,fc10")?.contains("layer 2 (conv3x3x4) follows a dense layer") == true)
        #expect(try message("conv3x3x4,pool2")?.contains("last layer must be fcN") == true)
        #expect(try message("conv3x3x4p3,fc10")?.contains("padding 3") == true)
        #expect(try message("maxpool29,fc10")?.contains("smaller than the 29x29 window") == true)
        #expect(try message("conv3x3x4p1,fc10") == nil)
    }
}
