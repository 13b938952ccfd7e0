import Foundation

/// One node's whole configuration, read from one YAML file and validated.
///
/// `Config.load(path:)` either returns a configuration in which every value has been
/// checked, or throws `ConfigErrors` listing every problem with its file, line and key.
public struct Config: Sendable {
    /// The file this configuration was read from.
    public var file: String
    public var node: NodeIdentity
    /// Where role, epoch, incidents, the outbox and Net-SNMP's persistent files live.
    public var stateDirectory: String
    /// A directory whose templates replace the defaults file by file, if set.
    public var templatesDirectory: String?
    public var notify: NotifyConfig
    /// The agent's own SNMP engine id when set in the file; otherwise one is generated
    /// once and kept in the state directory (`SNMPEngineIdentity`).
    public var snmpEngineID: SNMPEngineID?
    public var checks: [CheckConfig]
    public var failover: FailoverConfig?
    /// The control socket of `vacataire run` and the admin commands.
    public var control: ControlConfig
    /// Retries of the durable notification outbox.
    public var outbox: OutboxConfig
    /// The HTTP endpoint and the HAProxy agent-check port, each off unless configured.
    public var loadBalancer: LoadBalancerConfig = LoadBalancerConfig()
    /// Reminders of unacknowledged incidents and the peer's delivery confirmations.
    public var incidents: IncidentsConfig = IncidentsConfig()
    /// The notification rate limiter, de-duplication and flap detection (`rate_limit:`).
    public var rateLimit: RateLimitConfig = RateLimitConfig()
    /// The AgentX subagent that answers an NMS's polls (`snmp_agent:`), off when nil.
    public var snmpAgent: SNMPAgentConfig?

    /// Reads and validates the configuration at `path`.
    public static func load(path: String) throws(ConfigErrors) -> Config {
        if let refusal = ConfigFileKind.refusal(path) {
            throw ConfigErrors([ConfigProblem(file: path, line: nil, key: "", message: refusal)])
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigErrors([ConfigProblem(file: path, line: nil, key: "", message: "cannot read the file: \(Self.reason(error))")])
        }
        return try parse(text, file: path)
    }

    /// Validates `text` as if read from `file`; relative paths resolve against its directory.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> Config {
        let problems = ConfigProblems(file: file)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        guard let root = ConfigReader.document(text, problems: problems) else {
            throw ConfigErrors(problems.all)
        }
        let node = root.mapping("node").flatMap(NodeIdentity.read)
        if !root.has("node") {
            problems.add("missing; expected a mapping with `name` and `cluster`", key: "node", at: root.mark)
        }
        let stateDirectoryText = root.optional("state_dir", String.self) ?? "/var/lib/vacataire"
        if stateDirectoryText.trimmingCharacters(in: .whitespaces).isEmpty {
            root.problem("state_dir", "must not be empty; expected a directory such as /var/lib/vacataire")
        }
        let stateDirectory = resolve(stateDirectoryText, base: base)
        let templatesDirectory = root.optional("templates_dir", String.self).map { resolve($0, base: base) }
        if let templatesDirectory {
            if !isDirectory(templatesDirectory) {
                root.problem("templates_dir", "no such directory: \(templatesDirectory)")
            } else if let unsafe = openToOthers(directory: templatesDirectory) {
                root.problem("templates_dir", unsafe)
            }
        }
        let notify = root.mapping("notify").map { NotifyConfig.read($0, base: base) } ?? NotifyConfig(email: [], snmp: [])
        let snmpEngineID = root.optional("snmp_engine_id", SNMPEngineID.self)
        // Before the checks: an `ocf` check may name one of failover.resources.
        let failover = root.mapping("failover").flatMap { FailoverConfig.read($0, base: base) }
        let checks = root.list("checks") { CheckConfig.read($0, base: base, resources: failover?.resources ?? []) }
        CheckConfig.validateUnique(checks, in: root)
        let control = root.mapping("control").map { ControlConfig.read($0, base: base) } ?? ControlConfig()
        let outbox = root.mapping("outbox").map(OutboxConfig.read) ?? OutboxConfig()
        let loadBalancer = LoadBalancerConfig.read(root)
        let incidents = root.mapping("incidents").map(IncidentsConfig.read) ?? IncidentsConfig()
        let rateLimit = root.mapping("rate_limit").map(RateLimitConfig.read) ?? RateLimitConfig()
        let snmpAgent = root.mapping("snmp_agent").map(SNMPAgentConfig.read)
        ConfigSanity.check(node: node, checks: checks, failover: failover, loadBalancer: loadBalancer, in: root)
        root.finish()
        guard problems.all.isEmpty, let node else {
            throw ConfigErrors(problems.all)
        }
        return Config(
            file: file, node: node, stateDirectory: stateDirectory,
            templatesDirectory: templatesDirectory, notify: notify, snmpEngineID: snmpEngineID, checks: checks,
            failover: failover, control: control, outbox: outbox, loadBalancer: loadBalancer, incidents: incidents,
            rateLimit: rateLimit, snmpAgent: snmpAgent
        )
    }

    static func resolve(_ path: String, base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
    }

    /// Why a directory whose files the agent reads as root must not be used, or nil: one
    /// that another user may write to (or owns) lets that user plant a file, such as a
    /// template that is a link to /etc/shadow, which the agent would then mail.
    static func openToOthers(directory path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let mode = Int(status.st_mode) & 0o7777
        if mode & 0o022 != 0 {
            return "\(path) has mode \(String(format: "%04o", mode)): users other than its owner may plant files in it; "
                + "run `chmod go-w \(path)`"
        }
        if status.st_uid != 0, status.st_uid != geteuid() {
            return "\(path) belongs to user id \(status.st_uid), neither root nor the user running vacataire; "
                + "run `chown root \(path)`"
        }
        return nil
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }
}

/// Who this node is: its own name and the name of the pair it belongs to.
public struct NodeIdentity: Sendable, Equatable {
    /// This node's name, unique within the cluster (`alpha`, `web-1`).
    public var name: String
    /// The pair's name; both nodes must use the same one.
    public var cluster: String

    public init(name: String, cluster: String) {
        self.name = name
        self.cluster = cluster
    }

    static func read(_ reader: ConfigReader) -> NodeIdentity? {
        let name = reader.required("name", String.self)
        let cluster = reader.required("cluster", String.self)
        for (key, value) in [("name", name), ("cluster", cluster)] {
            if let value, !isIdentifier(value) {
                reader.problem(key, "expected letters, digits, `-`, `_` or `.` (1 to 64 of them), found `\(value)`")
            }
        }
        reader.finish()
        guard let name, let cluster else { return nil }
        return NodeIdentity(name: name, cluster: cluster)
    }

    static func isIdentifier(_ text: String) -> Bool {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        return (1...64).contains(text.count) && text.unicodeScalars.allSatisfy { $0.isASCII && allowed.contains($0) }
    }
}
