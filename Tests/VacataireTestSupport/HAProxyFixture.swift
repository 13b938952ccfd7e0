import Foundation

/// A real HAProxy (Debian `haproxy`) in front of a `PairFixture` with its load balancer endpoints: one frontend on a
/// free port, one backend with alpha's and beta's services, each server checked either by
/// `/health` on its agent's HTTP endpoint (`option httpchk`) or by its agent-check port.
/// Run in the foreground (`-db`) as the test's child; `stop()` ends it.
public final class HAProxyFixture: @unchecked Sendable {
    /// How HAProxy learns which node serves.
    public enum Mode: Sendable {
        /// `option httpchk GET /health`, checking each agent's HTTP port.
        case httpCheck
        /// `agent-check` on each agent's agent-check port.
        case agentCheck
    }

    public static let executable = "/usr/sbin/haproxy"

    public let frontendPort: Int
    public let statsSocket: String
    public let configPath: String
    private let process: SpawnedProcess

    public init(pair: PairFixture, mode: Mode) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw FixtureError("the load balancer tests need HAProxy at \(Self.executable): apt-get install haproxy")
        }
        frontendPort = try FreePort.tcp()
        statsSocket = pair.directory.file("haproxy.sock")
        let config = Self.config(pair: pair, mode: mode, frontendPort: frontendPort, statsSocket: statsSocket)
        configPath = try pair.directory.write("haproxy.cfg", config)
        let check = try Self.run(["-c", "-f", configPath], in: pair.directory)
        guard check.status == 0 else {
            throw FixtureError("HAProxy refuses \(configPath):\n\(check.stdout)\(check.stderr)\n\(config)")
        }
        process = try SpawnedProcess(
            name: "haproxy", executable: Self.executable, arguments: ["-f", configPath, "-db"],
            workDirectory: pair.directory.path, install: "haproxy")
        let socket = statsSocket
        try process.wait(for: "its stats socket") {
            (try? LoopbackClient.unix(path: socket, send: "show info\n"))?.contains("Name: HAProxy") == true
        }
    }

    deinit {
        stop()
    }

    /// Runs haproxy with `arguments` to its end (the configuration check).
    private static func run(_ arguments: [String], in directory: TemporaryDirectory) throws -> CommandResult {
        let child = try SpawnedProcess(
            executable: executable, arguments: arguments,
            stdoutPath: directory.file("haproxy-check.stdout"), stderrPath: directory.file("haproxy-check.stderr"))
        let status = child.waitUntilExit()
        return CommandResult(
            status: status,
            stdout: (try? String(contentsOfFile: directory.file("haproxy-check.stdout"), encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: directory.file("haproxy-check.stderr"), encoding: .utf8)) ?? "")
    }

    public func stop() {
        process.stop()
    }

    /// The haproxy.cfg of `mode`: fast checks (every 200 ms, one failure or success flips).
    public static func config(pair: PairFixture, mode: Mode, frontendPort: Int, statsSocket: String) -> String {
        func server(_ node: PairFixture.Node) -> String {
            let common = "server \(node.rawValue) 127.0.0.1:\(pair.servicePort(node)) check inter 200ms fall 1 rise 1"
            switch mode {
            case .httpCheck:
                return "\(common) port \(pair.httpPort(node))"
            case .agentCheck:
                return "\(common) agent-check agent-port \(pair.agentCheckPort(node)) agent-inter 200ms"
            }
        }
        let check = mode == .httpCheck ? ["option httpchk GET /health"] : []
        return config(bind: "127.0.0.1:\(frontendPort)", backend: check + [server(.alpha), server(.beta)], statsSocket: statsSocket)
    }

    /// A haproxy.cfg with one frontend on `bind` and the backend `pair` of `backend` lines.
    public static func config(bind: String, backend: [String], statsSocket: String) -> String {
        """
        global
            stats socket \(statsSocket) level admin

        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
            timeout check 1s

        frontend web
            bind \(bind)
            default_backend pair

        backend pair
        \(backend.map { "    " + $0 }.joined(separator: "\n"))

        """
    }

    /// `show stat` for the backend's servers: server name to its row (column name to value).
    public func serverStats() throws -> [String: [String: String]] {
        let csv = try LoopbackClient.unix(path: statsSocket, send: "show stat\n")
        let lines = csv.split(separator: "\n").map(String.init)
        guard let header = lines.first, header.hasPrefix("# ") else {
            throw FixtureError("unexpected `show stat` answer: \(csv.prefix(300))")
        }
        let columns = header.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var servers: [String: [String: String]] = [:]
        for line in lines.dropFirst() {
            let values = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let row = Dictionary(zip(columns, values)) { first, _ in first }
            guard row["pxname"] == "pair", let name = row["svname"], !["FRONTEND", "BACKEND"].contains(name) else { continue }
            servers[name] = row
        }
        return servers
    }

    /// A request through the frontend: its status and body (or the error, as the body).
    public func request(_ path: String = "/") -> (status: Int, body: String) {
        do {
            let response = try LoopbackClient.http(port: frontendPort, path: path)
            return (response.status, response.body.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            return (0, "\(error)")
        }
    }
}
