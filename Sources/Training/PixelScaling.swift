import NeuralNet

/// Grey levels 0...255 become 0...1 by this factor, in training batches and evaluation alike
/// (an exported model expects the same).
let pixelScale: Float = 1 / 255

/// to[i] = Float(from[i]) × `pixelScale` (vectorised for the CPU at hand: `VectorPasses`).
///
/// - Parameters:
///   - from: `[count]` bytes.
///   - to: `[count]` floats.
func scalePixels(_ from: UnsafePointer<UInt8>, into to: UnsafeMutablePointer<Float>, count: Int) {
    VectorPasses.scale(from, into: to, count: count, by: pixelScale)
}
