import Foundation

/// A real SNMP manager (Net-SNMP's snmptrapd) on a free loopback UDP port, loading
/// LE-VACATAIRE-MIB so that received notifications are logged by name.
public final class TrapReceiver: SpawnedServer, @unchecked Sendable {
    /// One logged notification: its security line (version, community or user) and its varbinds as `NAME = TYPE: VALUE`.
    public struct Received: Sendable {
        public var security: String
        public var varbinds: [String]

        /// The value part of the first varbind whose name contains `name`.
        public func value(_ name: String) -> String? {
            guard let line = varbinds.first(where: { $0.components(separatedBy: " = ").first?.contains(name) == true }) else {
                return nil
            }
            return line.components(separatedBy: " = ").dropFirst().joined(separator: " = ")
        }
    }

    /// An SNMPv3 user the receiver accepts (`createUser` + `authUser log` in snmptrapd.conf).
    public struct User: Sendable {
        public var name: String
        public var authProtocol: String
        public var authPassword: String
        /// nil for authNoPriv.
        public var privProtocol: String?
        public var privPassword: String?
        /// The sender's engine id, which traps need (`createUser -e`); nil for informs,
        /// which use the receiver's own engine id.
        public var engineID: String?

        public init(
            name: String, authProtocol: String = "SHA", authPassword: String, privProtocol: String? = "AES",
            privPassword: String? = nil, engineID: String? = nil
        ) {
            self.name = name
            self.authProtocol = authProtocol
            self.authPassword = authPassword
            self.privProtocol = privProtocol
            self.privPassword = privPassword
            self.engineID = engineID
        }

        var configLines: String {
            var create = "createUser"
            if let engineID { create += " -e \(engineID)" }
            create += " \(name) \(authProtocol) \(authPassword)"
            if let privProtocol, let privPassword { create += " \(privProtocol) \(privPassword)" }
            return create + "\nauthUser log \(name)\n"
        }
    }

    /// Starts snmptrapd on `port` (a free one when nil), accepting `community` over SNMPv2c
    /// and `users` over SNMPv3. snmptrapd answers informs by itself.
    public init(community: String = "public", users: [User] = [], port requestedPort: Int? = nil) throws {
        try super.init("trap-receiver") { directory in
            let mibs = try Repository.baseMIBs()
            let config = try directory.write(
                "snmptrapd.conf", "authCommunity log \(community)\n" + users.map(\.configLines).joined()
            )
            let port = try requestedPort ?? FreePort.udp()
            let server = try SpawnedProcess(
                name: "snmptrapd", executable: "/usr/sbin/snmptrapd",
                arguments: [
                    "-f", "-C", "-c", config, "-Lf", directory.file("traps.log"),
                    "-M", "\(mibs):\(Repository.path("Docs/mibs"))", "-m", "LE-VACATAIRE-MIB:SNMPv2-MIB",
                    "-F", "TRAP %P\n%V\n%v\nEND\n", "-p", directory.file("snmptrapd.pid"),
                    "udp:127.0.0.1:\(port)",
                ],
                workDirectory: directory.path, install: "snmptrapd",
                environment: ["SNMP_PERSISTENT_DIR": directory.file("persist")]
            )
            let logPath = directory.file("traps.log")
            try server.wait(for: "listening") {
                ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").contains("NET-SNMP version")
            }
            return (server, port)
        }
    }

    /// Everything snmptrapd logged, its start-up and warnings included.
    public var log: String {
        (try? String(contentsOfFile: directory.file("traps.log"), encoding: .utf8)) ?? ""
    }

    /// The notifications logged so far, oldest first.
    public func notifications() -> [Received] {
        var result: [Received] = []
        var current: Received?
        for line in log.components(separatedBy: "\n") {
            if line.hasPrefix("TRAP ") {
                current = Received(security: String(line.dropFirst(5)), varbinds: [])
            } else if line == "END", let done = current {
                result.append(done)
                current = nil
            } else if !line.isEmpty {
                current?.varbinds.append(line)
            }
        }
        return result
    }

    public func waitForNotifications(_ count: Int, timeout: TimeInterval = 10) throws -> [Received] {
        try wait(for: "\(count) notification(s)", timeout: timeout) { notifications().count >= count }
        return notifications()
    }
}

/// Free loopback ports, found by binding port 0 and releasing it.
public enum FreePort {
    public static func udp() throws -> Int { try find(type: Int32(SOCK_DGRAM.rawValue)) }
    public static func tcp() throws -> Int { try find(type: Int32(SOCK_STREAM.rawValue)) }

    static func find(type: Int32) throws -> Int {
        let socketFD = socket(AF_INET, type, 0)
        guard socketFD >= 0 else { throw FixtureError("cannot open a socket to find a free port") }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(socketFD, pointer, length) == 0 && getsockname(socketFD, pointer, &length) == 0
            }
        }
        guard bound else { throw FixtureError("cannot bind a loopback socket to find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
