import Foundation

/// Why a test fixture could not be started, with what to install or do about it.
public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ prefix: String = "vacataire-test") throws {
        let template = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(prefix)-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw FixtureError("cannot create a temporary directory from \(template)")
        }
        path = String(cString: made)
    }

    public func file(_ name: String) -> String {
        "\(path)/\(name)"
    }

    /// Writes `text` to `name` inside the directory and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let path = file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes a fresh shared peer key (64 hex digits, mode 0600, as `openssl rand -hex 32`
    /// makes one) to `name` and returns its path.
    @discardableResult
    public func writePeerKey(_ name: String = "peer.key") throws -> String {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let path = try write(name, key + "\n")
        guard chmod(path, 0o600) == 0 else { throw FixtureError("cannot make \(path) mode 0600") }
        return path
    }
}

/// Paths inside this repository, found from this source file's location.
public enum Repository {
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static func path(_ relative: String) -> String {
        "\(root)/\(relative)"
    }

    /// How much longer the tests wait for real daemons: `VACATAIRE_TEST_TIME_SCALE`
    /// (`make tsan` sets 4, as instrumented daemons run several times slower), else 1.
    public static let timeScale: Double = {
        let value = Double(ProcessInfo.processInfo.environment["VACATAIRE_TEST_TIME_SCALE"] ?? "") ?? 1
        return value >= 1 ? value : 1
    }()

    /// The built `vacataire` executable, next to the test runner in the build directory.
    public static var executable: String {
        let runner = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        return runner.deletingLastPathComponent().appendingPathComponent("vacataire").path
    }

    /// Runs the `vacataire` executable to its end and returns its status and output.
    public static func runVacataire(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try run(executable, arguments, environment: environment)
    }

    /// Runs a program to its end (no shell) and returns its status and output.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let directory = try TemporaryDirectory("vacataire-run")
        defer { directory.remove() }
        let child = try SpawnedProcess(
            executable: program, arguments: arguments, environment: environment,
            stdoutPath: directory.file("stdout"), stderrPath: directory.file("stderr"))
        let status = child.waitUntilExit()
        return CommandResult(
            status: status,
            stdout: (try? String(contentsOfFile: directory.file("stdout"), encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: directory.file("stderr"), encoding: .utf8)) ?? ""
        )
    }

    /// The directory holding the IETF base MIB modules (SNMPv2-SMI, ...): from
    /// `$VACATAIRE_BASE_MIBS`, `../shared/mibs`, or Debian's `/usr/share/snmp/mibs/ietf`.
    public static func baseMIBs() throws -> String {
        let candidates = [
            ProcessInfo.processInfo.environment["VACATAIRE_BASE_MIBS"],
            URL(fileURLWithPath: root).deletingLastPathComponent().appendingPathComponent("shared/mibs").path,
            "/usr/share/snmp/mibs/ietf",
        ].compactMap { $0 }
        for candidate in candidates where FileManager.default.fileExists(atPath: "\(candidate)/SNMPv2-SMI.txt") {
            return candidate
        }
        throw FixtureError("""
            the IETF base MIB modules (SNMPv2-SMI.txt, ...) are not found in \(candidates.joined(separator: ", ")); \
            set VACATAIRE_BASE_MIBS to a directory holding them, or apt-get install snmp-mibs-downloader (non-free)
            """)
    }
}

/// What a finished command printed and how it ended.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}
