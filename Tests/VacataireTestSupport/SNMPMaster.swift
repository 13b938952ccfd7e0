import Foundation

/// A real AgentX master: Debian's snmpd on a free loopback UDP port with `master agentx` on
/// a private Unix socket, answering community `public` for LE-VACATAIRE-MIB's subtree only.
/// A test kills, restarts, freezes and thaws it, and walks it with snmpwalk (numeric OIDs:
/// Debian ships no standard MIBs).
public final class SNMPMaster: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let port: Int
    /// What a node's `snmp_agent: {agentx_socket: ...}` names.
    public var agentXSocket: String { "unix:\(directory.file("agentx.sock"))" }
    private let lock = NSLock()
    private var server: SpawnedProcess?
    private var starts = 0

    public static let snmpd = DebianTool("/usr/sbin/snmpd", package: "snmpd")
    public static let snmpwalk = DebianTool("/usr/bin/snmpwalk", package: "snmp")
    public static let snmptranslate = DebianTool("/usr/bin/snmptranslate", package: "snmp")
    /// LE-VACATAIRE-MIB's subtree.
    public static let subtree = ".1.3.6.1.4.1.32473.7411"

    public init(_ name: String = "snmpd") throws {
        try Self.snmpd.require(for: "an AgentX master")
        try Self.snmpwalk.require(for: "polling the AgentX master")
        directory = try TemporaryDirectory(name)
        do {
            port = try FreePort.udp()
            try directory.write("snmpd.conf", """
                master agentx
                agentXSocket \(agentXSocket)
                agentaddress udp:127.0.0.1:\(port)
                view vacataire included \(Self.subtree)
                rocommunity public 127.0.0.1 -V vacataire
                """)
            try start()
        } catch {
            directory.remove()
            throw error
        }
    }

    deinit {
        stop()
    }

    /// Starts snmpd (again, after `kill()`) and waits until its AgentX socket exists.
    public func start() throws {
        let count = lock.withLock {
            starts += 1
            return starts
        }
        let socket = directory.file("agentx.sock")
        try? FileManager.default.removeItem(atPath: socket)
        let process = try SpawnedProcess(
            name: "snmpd.\(count)", executable: Self.snmpd.path,
            arguments: ["-f", "-Lo", "-C", "-c", directory.file("snmpd.conf"), "-M", "", "-m", "", "-p", directory.file("snmpd.pid")],
            workDirectory: directory.path, install: Self.snmpd.package,
            environment: ["SNMP_PERSISTENT_DIR": directory.file("persist")])
        lock.withLock { server = process }
        try process.wait(for: "snmpd's AgentX socket", timeout: 10) { FileManager.default.fileExists(atPath: socket) }
    }

    /// SIGKILL: the master is gone without a word to its subagents.
    public func kill() {
        guard let server = lock.withLock({ server }) else { return }
        server.signal(SIGKILL)
        _ = server.waitUntilExit()
    }

    /// SIGSTOP: the master holds its sockets open and answers nothing.
    public func freeze() {
        lock.withLock { server }?.signal(SIGSTOP)
    }

    /// SIGCONT.
    public func thaw() {
        lock.withLock { server }?.signal(SIGCONT)
    }

    public func stop() {
        thaw()
        lock.withLock { server }?.stop()
        directory.remove()
    }

    /// What snmpd logged (every start).
    public var log: String {
        (1...max(1, lock.withLock { starts })).map { (try? String(contentsOfFile: directory.file("snmpd.\($0).stdout"), encoding: .utf8)) ?? "" }
            .joined(separator: "\n")
    }

    /// Walks `oid` (LE-VACATAIRE-MIB's subtree unless told): each instance's numeric OID and
    /// value (`STRING: "alpha"`). Empty when nothing answers under it.
    public func walk(_ oid: String = SNMPMaster.subtree) throws -> [String: String] {
        let result = try Repository.run(try Self.snmpwalk.require(for: "polling the AgentX master"), [
            "-v2c", "-c", "public", "-On", "-t", "1", "-r", "1", "-m", "", "-M", "", "127.0.0.1:\(port)", oid,
        ])
        var values: [String: String] = [:]
        for line in result.stdout.components(separatedBy: "\n") {
            let parts = line.components(separatedBy: " = ")
            guard parts.count >= 2, parts[0].hasPrefix(".") else { continue }
            let value = parts.dropFirst().joined(separator: " = ")
            guard !value.hasPrefix("No more variables"), !value.hasPrefix("No Such") else { continue }
            values[parts[0]] = value
        }
        return values
    }
}
