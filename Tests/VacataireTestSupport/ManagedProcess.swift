import Foundation

/// Why a test fixture could not be started, with what to install or do about it.
public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A child process owned by a test: started, watched, and always stopped.
///
/// Output goes to files in the process's work directory so a failing test can show it.
public final class ManagedProcess: @unchecked Sendable {
    public let process = Process()
    public let stdoutPath: String
    public let stderrPath: String
    private let name: String

    /// Starts `executable` with `arguments`; throws a `FixtureError` naming the Debian
    /// package to install when the executable is missing.
    public init(
        name: String, executable: String, arguments: [String], workDirectory: String,
        install: String, environment: [String: String]? = nil
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw FixtureError("\(name) needs \(executable), which is missing: apt-get install \(install)")
        }
        self.name = name
        stdoutPath = "\(workDirectory)/\(name).stdout"
        stderrPath = "\(workDirectory)/\(name).stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        stop()
    }

    public var output: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var errors: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits until `condition` holds, polling; throws with the process's output if it
    /// exits or the time runs out first.
    public func wait(for what: String, timeout: TimeInterval = 15, until condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return }
            if !process.isRunning {
                throw FixtureError("\(name) exited (status \(process.terminationStatus)) before \(what):\n\(output)\n\(errors)")
            }
            usleep(20_000)
        }
        throw FixtureError("\(name) did not reach \(what) within \(timeout) s:\n\(output)\n\(errors)")
    }

    /// Stops the process (SIGTERM, then SIGKILL after two seconds) and reaps it.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < deadline {
            usleep(10_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }
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

    /// The built `vacataire` executable next to the test bundle.
    public static var executable: String {
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL
            ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        return bundle.deletingLastPathComponent().appendingPathComponent("vacataire").path
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
