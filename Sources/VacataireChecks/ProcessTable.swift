import Foundation
import VacataireCore

/// A live process as /proc shows it: pid, short name (`comm`) and full command line.
struct ProcessEntry: Sendable, Equatable {
    var pid: Int32
    var name: String
    var commandLine: String
}

/// Reads the process table from procfs, skipping zombies (they have exited; only their
/// exit status waits to be collected) and processes that vanish while being read.
struct ProcessTable {
    var procRoot: String

    /// Every live process except the caller itself.
    func entries() -> [ProcessEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: procRoot)) ?? []
        let own = getpid()
        return names.compactMap { name -> ProcessEntry? in
            guard let pid = Int32(name), pid != own else { return nil }
            return entry(pid)
        }
    }

    /// The process `pid` if it is alive (present and not a zombie).
    func entry(_ pid: Int32) -> ProcessEntry? {
        let directory = "\(procRoot)/\(pid)"
        guard let stat = ProcFile.read("\(directory)/stat"), !Self.isZombie(stat: stat) else { return nil }
        let name = ProcFile.read("\(directory)/comm").map { $0.trimmingCharacters(in: .newlines) } ?? ""
        let commandLine = ProcFile.read("\(directory)/cmdline").map(Self.commandLine) ?? ""
        return ProcessEntry(pid: pid, name: name, commandLine: commandLine)
    }

    /// The state letter follows the last `)` of /proc/PID/stat (the name may hold `)`).
    static func isZombie(stat: String) -> Bool {
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
        return state == "Z" || state == "X"
    }

    /// /proc/PID/cmdline separates arguments by NUL; join them with spaces.
    static func commandLine(_ raw: String) -> String {
        raw.split(separator: "\0").joined(separator: " ")
    }
}
