import Foundation

/// Where the check tests' fixture files live (`Tests/Fixtures/checks/`), and small helpers
/// they share: scratch directories, a refused port, running a tool and waiting for it.
public enum CheckFixtures {
    /// The absolute path of `Tests/Fixtures/checks`.
    public static let directory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/checks").path

    /// The absolute path of a fixture file, such as `hang.sh` or `meminfo/ok`.
    public static func path(_ name: String) -> String {
        "\(directory)/\(name)"
    }

    /// A port on 127.0.0.1 where nothing listens: bound, read, and closed again.
    public static func refusedPort() throws -> UInt16 {
        UInt16(try FreePort.tcp())
    }

    /// Runs a tool to completion; throws with its output when it fails.
    @discardableResult
    public static func runTool(_ path: String, _ arguments: [String]) throws -> String {
        let result = try Repository.run(path, arguments)
        let text = result.stdout + result.stderr
        guard result.status == 0 else {
            throw CheckFixtureError("\(path) \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }

    /// The pid a program wrote to `file` (a fixture's child, a command's shell) once it has,
    /// waiting at most `timeout` seconds; nil if it never did.
    public static func pid(writtenTo file: String, timeout: TimeInterval = 10) async -> pid_t? {
        var pid: pid_t?
        _ = await Wait.until(timeout: timeout) { () async -> Bool in
            pid = (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid != nil
        }
        return pid
    }

    /// Waits at most `timeout` seconds until process `pid` is dead: gone, or a zombie left
    /// for PID 1 to reap; returns whether it is.
    public static func dies(_ pid: pid_t, timeout: TimeInterval = 5) async -> Bool {
        await Wait.until(timeout: timeout) { () async -> Bool in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return true }
            let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
            return state == "Z" || state == "X"
        }
    }
}

/// A temporary directory for one test, removed by `remove()` (call it from a teardown block).
public final class CheckScratchDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "checks") throws {
        path = NSTemporaryDirectory() + "vacataire-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String {
        "\(path)/\(name)"
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Why a check fixture could not be set up; the message says what to install or fix.
public struct CheckFixtureError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
