import Foundation

/// Reads one template file: a regular file of at most `TemplateOutline.maximumBytes` that
/// only its owner may write, never a device or a pipe that would be read forever, nor a
/// symbolic link that could lead the agent, as root, to mail any file.
enum TemplateFile {
    /// A template file's text, or a built-in template's (`built-in:NAME`), bounded in size.
    static func read(_ path: String) -> Result<String, TemplateSet.LoadError> {
        if path.hasPrefix(TemplateSet.builtInPrefix) {
            guard let text = BuiltInTemplates.files[String(path.dropFirst(TemplateSet.builtInPrefix.count))] else {
                return .failure(TemplateSet.LoadError(file: path, line: nil, message: "no such built-in template"))
            }
            return .success(text)
        }
        // Not through a symbolic link (it could lead to any file root reads), and checked on
        // the descriptor that is read, so that nothing can be swapped in between.
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let message = errno == ELOOP
                ? "a symbolic link; a template must be a file of its own (copy it instead of linking)"
                : "missing or unreadable template"
            return .failure(TemplateSet.LoadError(file: path, line: nil, message: message))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            return .failure(TemplateSet.LoadError(file: path, line: nil, message: "missing or unreadable template"))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            return .failure(TemplateSet.LoadError(file: path, line: nil, message: "not a regular file; a template is a text file"))
        }
        guard Int(status.st_mode) & 0o022 == 0 else {
            return .failure(TemplateSet.LoadError(
                file: path, line: nil,
                message: "writable by users other than its owner (mode \(String(format: "%04o", Int(status.st_mode) & 0o7777))); run `chmod go-w \(path)`"))
        }
        guard Int(status.st_size) <= TemplateOutline.maximumBytes else {
            return .failure(TemplateSet.LoadError(
                file: path, line: nil,
                message: "template is \(status.st_size) bytes; at most \(TemplateOutline.maximumBytes) (256 KiB) are loaded"))
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        guard let data = try? handle.read(upToCount: TemplateOutline.maximumBytes + 1) else {
            return .failure(TemplateSet.LoadError(file: path, line: nil, message: "missing or unreadable template"))
        }
        return .success(String(decoding: data, as: UTF8.self))
    }
}
