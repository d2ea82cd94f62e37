// libFuzzer harness for the IDX reader (plain and gzip): any bytes as an image file and as a
// label file must give data or an MNISTDataError, never a trap. Compiled into the MNISTData
// module's sources by scripts/fuzz.sh (swiftc -sanitize=fuzzer,address); not part of the package.
import Foundation

private let scratch = NSTemporaryDirectory() + "mnist-mpi-fuzz-idx-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard FileManager.default.createFile(atPath: scratch, contents: Data(bytes: data, count: size)) else { return 0 }
    for dimensionCount in [1, 3] {
        if let header = try? IDXFile.readHeader(path: scratch, dimensionCount: dimensionCount) {
            _ = try? IDXFile.readItems(path: scratch, dimensionCount: dimensionCount, range: 0..<min(header.itemCount, 3))
        }
        _ = try? IDXFile.readItems(path: scratch, dimensionCount: dimensionCount, range: 0..<1)
    }
    return 0
}
