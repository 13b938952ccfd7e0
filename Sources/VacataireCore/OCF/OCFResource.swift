import Foundation

/// One OCF resource agent instance: which agent (`ocf: PROVIDER:TYPE`), under which name it
/// runs (`OCF_RESOURCE_INSTANCE`), with which parameters (`OCF_RESKEY_<name>`).
///
/// The agent is the executable `ROOT/resource.d/PROVIDER/TYPE` (Debian's `resource-agents`
/// package installs them under /usr/lib/ocf). It is called with the action as its only
/// argument; everything else reaches it through the environment (`environment(for:...)`).
/// Parameter values may be secrets (a database password): they go to the agent's
/// environment only, never into a summary or a log line.
public struct OCFResource: Sendable, Equatable, CustomStringConvertible {
    /// The directory holding `resource.d` (`ocf_root`, /usr/lib/ocf by default).
    public var root: String
    /// The agent's provider: `heartbeat` for Debian's resource-agents.
    public var provider: String
    /// The agent's type: `nginx`, `Filesystem`, `IPaddr2`, `Dummy`...
    public var type: String
    /// `OCF_RESOURCE_INSTANCE`: the resource's `name`, the type when none is written. Agents
    /// derive state from it (Dummy's state file), so a start, its stop and its monitor
    /// must use the same one.
    public var instance: String
    /// The instance parameters, each passed as `OCF_RESKEY_<name>`.
    public var parameters: [String: String]
    /// Where the configuration names this agent, for the problems `check-config` reports
    /// about it after the file was read. Not part of what the resource is: two resources
    /// that differ only in where they were written are equal.
    public var origin: ConfigOrigin

    public static let defaultRoot = "/usr/lib/ocf"

    public init(
        root: String = OCFResource.defaultRoot, provider: String, type: String, instance: String? = nil,
        parameters: [String: String] = [:], origin: ConfigOrigin = ConfigOrigin(key: "", line: nil)
    ) {
        self.root = root
        self.provider = provider
        self.type = type
        self.instance = instance ?? type
        self.parameters = parameters
        self.origin = origin
    }

    /// The agent's executable.
    public var agentPath: String { "\(root)/resource.d/\(provider)/\(type)" }

    /// `ocf:heartbeat:nginx`, as Pacemaker names an agent.
    public var agentName: String { "ocf:\(provider):\(type)" }

    /// `ocf:heartbeat:nginx`, or `ocf:heartbeat:nginx (web)` when the instance is named.
    public var description: String { instance == type ? agentName : "\(agentName) (\(instance))" }

    /// The variables the OCF contract sets for `action`: the root, the instance, the
    /// parameters, the action's timeout (`OCF_RESKEY_CRM_meta_timeout`, ms) and, for a
    /// recurring monitor, its interval (`OCF_RESKEY_CRM_meta_interval`, ms).
    public func environment(for action: OCFAction, timeout: Duration, interval: Duration? = nil) -> [String: String] {
        var variables = [
            "OCF_ROOT": root,
            "OCF_RA_VERSION_MAJOR": "1",
            "OCF_RA_VERSION_MINOR": "0",
            "OCF_RESOURCE_INSTANCE": instance,
            "OCF_RESOURCE_TYPE": type,
            "OCF_RESOURCE_PROVIDER": provider,
            "OCF_RESKEY_CRM_meta_timeout": String(Self.milliseconds(timeout)),
        ]
        if let interval { variables["OCF_RESKEY_CRM_meta_interval"] = String(Self.milliseconds(interval)) }
        for (name, value) in parameters { variables["OCF_RESKEY_\(name)"] = value }
        return variables
    }

    /// Whether `name` may be a parameter's name: letters, digits and `_`, as a shell
    /// variable's name after `OCF_RESKEY_`.
    public static func isParameterName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_") }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    public static func == (lhs: OCFResource, rhs: OCFResource) -> Bool {
        lhs.root == rhs.root && lhs.provider == rhs.provider && lhs.type == rhs.type && lhs.instance == rhs.instance
            && lhs.parameters == rhs.parameters
    }
}

/// Where a value was written: its dotted key and its line, for problems found after reading.
public struct ConfigOrigin: Sendable, Equatable {
    public var key: String
    public var line: Int?

    public init(key: String, line: Int?) {
        self.key = key
        self.line = line
    }
}
