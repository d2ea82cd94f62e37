/// A fixed-size, 64-byte aligned, heap-allocated array of `Float`, allocated once and freed
/// with its owner.
///
/// The trainer's parameters, gradients and activations live in these, so the training step
/// never allocates: views into them are plain pointers (llm.c style).
public final class FloatBuffer {
    /// The first element; valid for `count` elements while this buffer lives.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    public let count: Int
    /// What keeps the viewed memory alive (nil: this buffer owns its memory).
    private let owner: AnyObject?

    /// Allocates `count` elements, all set to `value`.
    public init(count: Int, repeating value: Float = 0) {
        precondition(count >= 0, "FloatBuffer count must not be negative")
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
        self.count = count
        owner = nil
    }

    /// A view of `count` elements of `base` from `offset` on, sharing its memory (and keeping
    /// it alive). E.g. the gradients inside a larger buffer that is reduced in one call.
    public init(viewing base: FloatBuffer, offset: Int, count: Int) {
        precondition(offset >= 0 && count >= 0 && offset + count <= base.count, "view out of bounds")
        pointer = base.pointer + offset
        self.count = count
        owner = base
    }

    /// A view of memory that `owner` allocated and keeps alive (e.g. an MPI shared-memory
    /// segment); this buffer never frees it.
    public init(borrowing memory: UnsafeMutableBufferPointer<Float>, owner: AnyObject) {
        precondition(memory.baseAddress != nil || memory.isEmpty, "no memory to borrow")
        pointer = memory.baseAddress ?? UnsafeMutablePointer<Float>.allocate(capacity: 1)
        count = memory.count
        self.owner = owner
    }

    deinit {
        if owner == nil { pointer.deallocate() }
    }

    /// All elements as a mutable buffer pointer (valid while this buffer lives).
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// The element at `index` (unchecked beyond a debug precondition).
    @inlinable public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// The elements copied into an array (for tests and checkpoints, not the hot path).
    public var array: [Float] { Array(buffer) }

    /// Sets every element to `value`.
    public func fill(_ value: Float) {
        pointer.update(repeating: value, count: count)
    }

    /// Copies `values` into this buffer; `values.count` must equal `count`.
    public func assign(_ values: [Float]) {
        precondition(values.count == count, "assign: \(values.count) values into \(count)")
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: count) }
        }
    }
}
