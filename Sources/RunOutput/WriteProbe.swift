import Foundation

/// Why `path` cannot be written, or nil if it can: the path is no folder and a temporary file
/// can be made beside it (the probe is removed). Checks an output path at start-up without
/// touching an existing file there.
public func writeProbeFailure(_ path: String) -> String? {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        return "it is a folder"
    }
    let probe = "\(path).tmp-\(getpid())"
    let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard descriptor >= 0 else { return String(cString: strerror(errno)) }
    close(descriptor)
    unlink(probe)
    return nil
}
