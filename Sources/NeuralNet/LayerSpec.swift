/// One layer of a model as the user names it, before shapes are known: `fc128` (dense, 128
/// outputs), `conv5x5x6p2` (6 filters of 5x5, padding 2; `s2` for stride 2), `pool2` or
/// `maxpool2` (2x2 max pooling, stride 2; `s1` for stride 1), `avgpool2` (average).
public enum LayerSpec: Sendable, Equatable, Codable, CustomStringConvertible {
    case dense(outputs: Int)
    case convolution(filters: Int, kernel: Int, stride: Int, padding: Int)
    case pooling(Pooling.Mode, window: Int, stride: Int)

    /// The largest kernel, window, stride, padding or filter count a spec may name.
    public static let largestNumber = 1 << 16

    /// The text that parses back to this layer, e.g. "conv5x5x6p2".
    public var description: String {
        switch self {
        case .dense(let outputs): return "fc\(outputs)"
        case .convolution(let filters, let kernel, let stride, let padding):
            return "conv\(kernel)x\(kernel)x\(filters)" + (padding > 0 ? "p\(padding)" : "") + (stride != 1 ? "s\(stride)" : "")
        case .pooling(let mode, let window, let stride):
            return (mode == .max ? "maxpool" : "avgpool") + "\(window)" + (stride != window ? "s\(stride)" : "")
        }
    }

    /// Parses one layer, e.g. "conv3x3x32p1".
    ///
    /// - Throws: `LayoutError` naming the text and what a layer looks like.
    public init(parsing text: String) throws(LayoutError) {
        let lower = text.lowercased()
        func number(_ digits: Substring) throws(LayoutError) -> Int {
            guard let value = Int(digits), value > 0, value <= LayerSpec.largestNumber else {
                throw LayoutError("\"\(text)\": \"\(digits)\" is not a number from 1 to \(LayerSpec.largestNumber)")
            }
            return value
        }
        /// Splits "5x5x6p2s1" into "5x5x6" and the suffixes ["p": 2, "s": 1].
        func suffixes(_ body: Substring, allowed: Set<Character>) throws(LayoutError) -> (Substring, [Character: Int]) {
            guard let end = body.firstIndex(where: { !$0.isNumber && $0 != "x" }) else { return (body, [:]) }
            var values: [Character: Int] = [:]
            var rest = body[end...]
            while let letter = rest.first {
                guard allowed.contains(letter), values[letter] == nil else {
                    throw LayoutError("\"\(text)\": unexpected \"\(rest)\"")
                }
                let digits = rest.dropFirst().prefix(while: \.isNumber)
                guard !digits.isEmpty, let value = Int(digits), value <= LayerSpec.largestNumber else {
                    throw LayoutError("\"\(text)\": \"\(letter)\" needs a number from 0 to \(LayerSpec.largestNumber)")
                }
                values[letter] = value
                rest = rest.dropFirst(1 + digits.count)
            }
            return (body[..<end], values)
        }
        if let body = lower.strippingPrefix("conv") {
            let (shape, options) = try suffixes(body, allowed: ["p", "s"])
            let parts = shape.split(separator: "x", omittingEmptySubsequences: false)
            guard parts.count == 3 else {
                throw LayoutError("\"\(text)\": a convolution is convKxKxF (F filters of KxK), then p<padding> and s<stride>, e.g. conv5x5x6p2")
            }
            let (height, width, filters) = (try number(parts[0]), try number(parts[1]), try number(parts[2]))
            guard height == width else { throw LayoutError("\"\(text)\": only square kernels (KxK) are built") }
            let stride = options["s"] ?? 1
            guard stride > 0 else { throw LayoutError("\"\(text)\": the stride must be at least 1") }
            self = .convolution(filters: filters, kernel: height, stride: stride, padding: options["p"] ?? 0)
        } else if let (mode, body) = Self.poolingPrefix(lower) {
            let (window, options) = try suffixes(body, allowed: ["s"])
            let size = try number(window)
            let stride = options["s"] ?? size
            guard stride > 0 else { throw LayoutError("\"\(text)\": the stride must be at least 1") }
            self = .pooling(mode, window: size, stride: stride)
        } else if let body = lower.strippingPrefix("fc") ?? lower.strippingPrefix("dense") {
            self = .dense(outputs: try number(body))
        } else {
            throw LayoutError("\"\(text)\" is not a layer: use fcN, convKxKxF[pP][sS], pool2, maxpoolN or avgpoolN")
        }
    }

    private static func poolingPrefix(_ text: String) -> (Pooling.Mode, Substring)? {
        for (prefix, mode) in [("maxpool", Pooling.Mode.max), ("avgpool", .average), ("pool", .max)] {
            if let body = text.strippingPrefix(prefix) { return (mode, body) }
        }
        return nil
    }

    /// Parses a comma-separated list, e.g. "conv3x3x32,pool2,fc10".
    public static func parseList(_ text: String) throws(LayoutError) -> [LayerSpec] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingWhitespace
        }
        guard items.count <= 256 else { throw LayoutError("\(items.count) layers: at most 256") }
        var layers: [LayerSpec] = []
        for item in items {
            guard !item.isEmpty else { throw LayoutError("an empty layer in \"\(text)\"") }
            layers.append(try LayerSpec(parsing: item))
        }
        return layers
    }
}

/// A model that cannot be built: one line naming the layer and why.
public struct LayoutError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension String {
    fileprivate func strippingPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }

    fileprivate var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
