/// One thing wrong with a configuration file, located as precisely as the file allows.
///
/// Its description reads `FILE:LINE: KEY: MESSAGE`, e.g.
/// `master.yaml:12: notify.email[0].to: expected at least one recipient`.
public struct ConfigProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file the problem is in.
    public var file: String
    /// 1-based line, when the YAML parser could tell.
    public var line: Int?
    /// The dotted key path, such as `notify.snmp[1].port`; empty for the whole document.
    public var key: String
    /// What is wrong and what is expected instead.
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}

/// Every problem found in one configuration file. The daemon refuses to start on any.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(_ problems: [ConfigProblem]) {
        self.problems = problems
    }

    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
