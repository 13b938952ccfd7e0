import Foundation

/// What a configuration path must be before it is read: a regular file of a sane size.
///
/// Reading a directory or a device through Foundation gives messages such as "(NSCocoaErrorDomain
/// error 256.)" or, for `/dev/zero`, a read that never ends; this says plainly what is wrong.
enum ConfigFileKind {
    /// The largest configuration file read: real ones are a few kilobytes.
    static let maximumBytes = 1 << 20

    /// Why `path` cannot be a configuration file, or nil when it may be read.
    static func refusal(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            return code == ENOENT ? "cannot read the file: no such file" : "cannot read the file: \(String(cString: strerror(code)))"
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            if Int(status.st_size) > maximumBytes {
                return "the file is \(status.st_size) bytes; a configuration file is at most \(maximumBytes) bytes (1 MiB)"
            }
            return nil
        case S_IFDIR:
            return "is a directory, not a configuration file; give the path of the YAML file (such as /etc/vacataire/vacataire.yaml)"
        default:
            return "is not a regular file (a device, pipe or socket); give the path of the YAML file"
        }
    }
}
