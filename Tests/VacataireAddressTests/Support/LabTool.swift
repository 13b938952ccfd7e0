import Foundation

/// A command-line tool the namespace tests run, found where Debian installs it, or a
/// failure that names the Debian package to install.
struct LabTool: Sendable {
    let candidates: [String]
    let package: String

    static let ip = LabTool(candidates: ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"], package: "iproute2")
    static let ping = LabTool(candidates: ["/usr/bin/ping", "/bin/ping"], package: "iputils-ping")

    /// The tool's path; throws, naming the package, when it is not installed.
    func path() throws -> String {
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            let name = URL(fileURLWithPath: candidates[0]).lastPathComponent
            throw FixtureError("this test needs `\(name)`, which is not installed: apt-get install \(package)")
        }
        return found
    }

    /// What a finished run printed, and how it ended.
    struct Output: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs the tool to its end (no shell).
    func run(_ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path())
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Both are read before the wait, the error side on its own thread, so that neither
        // pipe can fill and block the tool.
        let errors = ErrorText()
        let errorReader = Thread { errors.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        errorReader.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
            stderr: String(decoding: errors.wait(), as: UTF8.self))
    }

    /// Runs the tool; throws with its output unless it exits 0. Returns its standard output.
    @discardableResult
    func check(_ arguments: [String]) throws -> String {
        let output = try run(arguments)
        guard output.status == 0 else {
            throw FixtureError("\(try path()) \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)\(output.stdout)")
        }
        return output.stdout
    }

    /// The standard error text of a run, handed from its reader thread.
    private final class ErrorText: @unchecked Sendable {
        private let condition = NSCondition()
        private var data: Data?

        func set(_ value: Data) {
            condition.withLock {
                data = value
                condition.signal()
            }
        }

        func wait() -> Data {
            condition.withLock {
                while data == nil { condition.wait() }
                return data ?? Data()
            }
        }
    }
}
