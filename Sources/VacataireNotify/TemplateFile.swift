import Foundation

/// Reads one template file: a regular file of at most `TemplateOutline.maximumBytes`,
/// never a device or a pipe that would be read forever.
enum TemplateFile {
    /// A template file's text, or a built-in template's (`built-in:NAME`), bounded in size.
    static func read(_ path: String) -> Result<String, TemplateSet.LoadError> {
        if path.hasPrefix(TemplateSet.builtInPrefix) {
            guard let text = BuiltInTemplates.files[String(path.dropFirst(TemplateSet.builtInPrefix.count))] else {
                return .failure(TemplateSet.LoadError(file: path, line: nil, message: "no such built-in template"))
            }
            return .success(text)
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            return .failure(TemplateSet.LoadError(file: path, line: nil, message: "missing or unreadable template"))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            return .failure(TemplateSet.LoadError(file: path, line: nil, message: "not a regular file; a template is a text file"))
        }
        guard Int(status.st_size) <= TemplateOutline.maximumBytes else {
            return .failure(TemplateSet.LoadError(
                file: path, line: nil,
                message: "template is \(status.st_size) bytes; at most \(TemplateOutline.maximumBytes) (256 KiB) are loaded"))
        }
        guard let handle = FileHandle(forReadingAtPath: path),
              let data = try? handle.read(upToCount: TemplateOutline.maximumBytes + 1) else {
            return .failure(TemplateSet.LoadError(file: path, line: nil, message: "missing or unreadable template"))
        }
        try? handle.close()
        return .success(String(decoding: data, as: UTF8.self))
    }
}
