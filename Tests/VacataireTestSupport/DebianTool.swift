import Foundation

/// A command-line tool a test needs from a Debian package: found at its path, or a failure
/// that names the package to install (`make deps` installs them all).
public struct DebianTool: Sendable {
    public let path: String
    public let package: String
    /// False for a file that is sourced or read, not run (bash-completion's library).
    public let executable: Bool

    public init(_ path: String, package: String, executable: Bool = true) {
        self.path = path
        self.package = package
        self.executable = executable
    }

    /// The tool's path; throws, naming the Debian package, when it is not installed.
    @discardableResult
    public func require(for purpose: String) throws -> String {
        let present = executable ? FileManager.default.isExecutableFile(atPath: path) : FileManager.default.fileExists(atPath: path)
        guard present else {
            throw FixtureError("\(purpose) needs \(path), which is missing: apt-get install \(package) (or make deps)")
        }
        return path
    }

    /// Runs the tool to its end; throws with its output unless it exits 0.
    @discardableResult
    public func run(_ arguments: [String], for purpose: String, environment: [String: String] = [:]) throws -> CommandResult {
        let result = try Repository.run(try require(for: purpose), arguments, environment: environment)
        guard result.status == 0 else {
            throw FixtureError("\(path) \(arguments.joined(separator: " ")) exited \(result.status):\n\(result.stdout)\(result.stderr)")
        }
        return result
    }

    public static let promtool = DebianTool("/usr/bin/promtool", package: "prometheus")
    public static let lintian = DebianTool("/usr/bin/lintian", package: "lintian")
    public static let dpkgDeb = DebianTool("/usr/bin/dpkg-deb", package: "dpkg")
    public static let dpkg = DebianTool("/usr/bin/dpkg", package: "dpkg")
    public static let man = DebianTool("/usr/bin/man", package: "man-db")
    public static let systemdAnalyze = DebianTool("/usr/bin/systemd-analyze", package: "systemd")
    public static let bash = DebianTool("/bin/bash", package: "bash")
    public static let bashCompletion = DebianTool("/usr/share/bash-completion/bash_completion", package: "bash-completion", executable: false)
    /// Pacemaker's OCF resource agents, as Debian installs them.
    public static let ocfDummy = DebianTool("/usr/lib/ocf/resource.d/heartbeat/Dummy", package: "resource-agents")
    public static let ocfNginx = DebianTool("/usr/lib/ocf/resource.d/heartbeat/nginx", package: "resource-agents")
    public static let nginx = DebianTool("/usr/sbin/nginx", package: "nginx")
}
