import Foundation

/// The text of a file under /proc. Procfs files say they are empty (`st_size` 0), and
/// Foundation's `String(contentsOfFile:)` and `FileManager.contents(atPath:)` then make
/// a single `read`; the files procfs writes line by line (maps, status) answer it with
/// one page at most: the first 4 KiB of /proc/self/maps. This reads to the end of the
/// file.
public enum ProcFile {
    /// The whole text of `path`; nil when it cannot be opened or read (a process that has
    /// exited, a file procfs does not have).
    public static func read(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        do {
            return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        } catch {
            return nil
        }
    }
}
