/// Grey levels 0...255 become 0...1 by this factor, in training batches and evaluation alike
/// (an exported model expects the same).
let pixelScale: Float = 1 / 255

/// to[i] = Float(from[i]) × `pixelScale`, in a function of its own so that the compiler sees
/// two unrelated pointers and vectorises the loop.
///
/// - Parameters:
///   - from: `[count]` bytes.
///   - to: `[count]` floats.
@inline(never)
func scalePixels(_ from: UnsafePointer<UInt8>, into to: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { to[i] = Float(from[i]) * pixelScale }
}
