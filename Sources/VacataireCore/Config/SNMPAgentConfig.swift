import Foundation

/// The `snmp_agent:` section: the daemon answers an NMS's polls of LE-VACATAIRE-MIB's
/// `vacStatus` objects as an AgentX subagent of the host's snmpd (Docs/snmp.md, "Polling the
/// agent"). Off when the section is absent.
///
///     snmp_agent: {agentx_socket: unix:/run/snmp/agentx.sock, ping_interval: 15s}
public struct SNMPAgentConfig: Sendable, Equatable {
    /// Where snmpd (`master agentx`) listens for subagents.
    public enum Socket: Sendable, Equatable, CustomStringConvertible {
        case unix(path: String)
        case tcp(host: String, port: Int)

        /// The address as Net-SNMP's `agentXSocket` writes it.
        public var description: String {
            switch self {
            case .unix(let path): return "unix:\(path)"
            case .tcp(let host, let port): return "tcp:\(host):\(port)"
            }
        }
    }

    public var socket: Socket
    /// How often the subagent pings snmpd, and how often it tries again once snmpd is gone.
    public var pingInterval: ConfigDuration

    /// Net-SNMP's own default, where snmpd listens with `master agentx` and no `agentXSocket`.
    public static let defaultSocket = Socket.unix(path: "/var/agentx/master")
    public static let defaultPingInterval = ConfigDuration(seconds: 15)
    /// Net-SNMP counts the ping interval in whole seconds.
    static let pingBounds = ConfigDuration(seconds: 1)...ConfigDuration(seconds: 3_600)

    public init(socket: Socket = SNMPAgentConfig.defaultSocket, pingInterval: ConfigDuration = SNMPAgentConfig.defaultPingInterval) {
        self.socket = socket
        self.pingInterval = pingInterval
    }

    /// The ping interval in the whole seconds Net-SNMP takes.
    public var pingSeconds: Int {
        Int(pingInterval.seconds.rounded())
    }

    static func read(_ reader: ConfigReader) -> SNMPAgentConfig {
        var agent = SNMPAgentConfig()
        if let text = reader.optional("agentx_socket", String.self) {
            switch parseSocket(text) {
            case .success(let socket): agent.socket = socket
            case .failure(let error): reader.problem("agentx_socket", error.message)
            }
        }
        agent.pingInterval = reader.duration("ping_interval", default: defaultPingInterval, within: pingBounds)
        if agent.pingInterval.seconds != agent.pingInterval.seconds.rounded() {
            reader.problem("ping_interval", "must be whole seconds (Net-SNMP pings in seconds), found \(agent.pingInterval)")
        }
        reader.finish()
        return agent
    }

    /// `unix:/ABSOLUTE/PATH` or `tcp:HOST:PORT`, as snmpd's `agentXSocket` says it.
    static func parseSocket(_ text: String) -> Result<Socket, ConfigValueError> {
        let expected = "expected unix:/PATH or tcp:HOST:PORT, the address of snmpd's `agentXSocket` (such as unix:/run/snmp/agentx.sock)"
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard path.hasPrefix("/"), path.count > 1 else {
                return .failure(ConfigValueError("\(expected); the path must be absolute, found `\(text)`"))
            }
            return .success(.unix(path: path))
        }
        if text.hasPrefix("tcp:") {
            let rest = text.dropFirst("tcp:".count)
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port) else {
                return .failure(ConfigValueError("\(expected); `\(text)` has no port from 1 to 65535"))
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
                return .failure(ConfigValueError("\(expected); `\(text)` names no host"))
            }
            return .success(.tcp(host: host, port: port))
        }
        return .failure(ConfigValueError("\(expected), found `\(text)`"))
    }
}
