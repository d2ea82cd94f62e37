/// The shape of one image in a batch, stored channels last: `[height, width, channels]`
/// (NHWC for a batch), so that a row of a batch matrix is one image.
public struct ImageShape: Sendable, Equatable, Codable, CustomStringConvertible {
    public let height: Int
    public let width: Int
    public let channels: Int

    public init(height: Int, width: Int, channels: Int) {
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Floats per image.
    public var count: Int { height * width * channels }
    /// Pixel positions per image.
    public var positions: Int { height * width }
    /// e.g. "28x28x1".
    public var description: String { "\(height)x\(width)x\(channels)" }
}

/// A 2-D convolution over channels-last images: every output position is the product of its
/// `[kernel, kernel, input.channels]` window (zero outside the image) with `W[kernel·kernel·C,
/// filters]`, plus a bias per filter. Computed as a dense product on the lowered input
/// (`[rows · output.positions, kernel · kernel · C]`, one row per output position).
public struct Convolution: Sendable, Equatable, Codable {
    public let input: ImageShape
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    /// `[outHeight, outWidth, filters]`.
    public let output: ImageShape

    /// The convolution of `input` by `filters` filters of `kernel × kernel`, or nil when the
    /// window does not fit the padded input.
    public init?(input: ImageShape, filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        guard filters > 0, kernel > 0, stride > 0, padding >= 0, padding < kernel else { return nil }
        let height = (input.height + 2 * padding - kernel) / stride + 1
        let width = (input.width + 2 * padding - kernel) / stride + 1
        guard input.height + 2 * padding >= kernel, input.width + 2 * padding >= kernel else { return nil }
        self.input = input
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        output = ImageShape(height: height, width: width, channels: filters)
    }

    /// Elements of one lowered row: `kernel · kernel · input.channels`.
    public var windowCount: Int { kernel * kernel * input.channels }
}

/// Max or average pooling of each channel over `window × window` squares, `stride` apart
/// (average: the padding-free mean of the window).
public struct Pooling: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Codable { case max, average }

    public let mode: Mode
    public let input: ImageShape
    public let window: Int
    public let stride: Int
    public let output: ImageShape

    /// The pooling of `input`, or nil when the window does not fit.
    public init?(_ mode: Mode, input: ImageShape, window: Int, stride: Int) {
        guard window > 0, stride > 0, input.height >= window, input.width >= window else { return nil }
        self.mode = mode
        self.input = input
        self.window = window
        self.stride = stride
        output = ImageShape(
            height: (input.height - window) / stride + 1, width: (input.width - window) / stride + 1,
            channels: input.channels)
    }
}
