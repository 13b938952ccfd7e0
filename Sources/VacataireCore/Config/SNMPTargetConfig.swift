import Foundation

/// The SNMP versions a target may speak.
public enum SNMPVersion: String, ConfigKeyword, Sendable {
    case v2c = "2c"
    case v3 = "3"
}

/// How much of an SNMPv3 message USM protects.
public enum SNMPSecurityLevel: String, ConfigKeyword, Sendable {
    /// Signed, readable on the wire.
    case authNoPriv
    /// Signed and encrypted.
    case authPriv
}

/// The USM authentication (HMAC) protocols Net-SNMP 5.9 offers.
public enum SNMPAuthProtocol: String, ConfigKeyword, Sendable {
    case sha = "SHA"
    case sha256 = "SHA-256"
    case sha512 = "SHA-512"
}

/// The USM privacy (encryption) protocols Net-SNMP 5.9 offers, as Debian builds it.
public enum SNMPPrivProtocol: String, ConfigKeyword, Sendable {
    /// AES-128 (RFC 3826).
    case aes = "AES"
    /// AES-256 with Blumenthal key extension.
    case aes256 = "AES-256"
}

/// An SNMPv3 user of the User-based Security Model. The passwords stay in their files and
/// are read at send time; neither file's content is ever logged or printed.
public struct SNMPUser: Sendable, Equatable {
    public var name: String
    public var securityLevel: SNMPSecurityLevel
    public var authProtocol: SNMPAuthProtocol
    public var authPasswordFile: String
    public var privProtocol: SNMPPrivProtocol
    /// Set when `securityLevel` is `authPriv`.
    public var privPasswordFile: String?

    public init(
        name: String, securityLevel: SNMPSecurityLevel, authProtocol: SNMPAuthProtocol, authPasswordFile: String,
        privProtocol: SNMPPrivProtocol, privPasswordFile: String?
    ) {
        self.name = name
        self.securityLevel = securityLevel
        self.authProtocol = authProtocol
        self.authPasswordFile = authPasswordFile
        self.privProtocol = privProtocol
        self.privPasswordFile = privPasswordFile
    }
}

/// One SNMP notification receiver (an NMS or its trap forwarder).
public struct SNMPTarget: Sendable, Equatable {
    /// A short name for output and logs; defaults to `address:port`.
    public var name: String
    public var address: HostAddress
    public var port: Port
    public var version: SNMPVersion
    /// The SNMPv2c community. A secret: never logged or printed.
    public var community: String
    /// The SNMPv3 user; set exactly when `version` is 3.
    public var user: SNMPUser?
    /// Send informs (which the receiver acknowledges) instead of traps.
    public var inform: Bool
    /// How long to wait for an acknowledgement (an inform, or SNMPv3 engine discovery).
    public var timeout: ConfigDuration
    /// How many times an unacknowledged request is sent again.
    public var retries: Int

    public init(
        name: String, address: HostAddress, port: Port, version: SNMPVersion = .v2c, community: String = "public",
        user: SNMPUser? = nil, inform: Bool = false, timeout: ConfigDuration = ConfigDuration(seconds: 2), retries: Int = 3
    ) {
        self.name = name
        self.address = address
        self.port = port
        self.version = version
        self.community = community
        self.user = user
        self.inform = inform
        self.timeout = timeout
        self.retries = retries
    }

    /// `host:port` as shown in errors, with brackets around an IPv6 address.
    public var endpoint: String {
        address.isIPv6 ? "[\(address.host)]:\(port)" : "\(address.host):\(port)"
    }

    /// How many times a request goes out before it counts as unacknowledged.
    public var tries: Int { retries + 1 }

    static func read(_ reader: ConfigReader, base: String) -> SNMPTarget? {
        let address = reader.required("address", HostAddress.self)
        let port = reader.optional("port", Port.self) ?? Port(162)
        let version = reader.optional("version", SNMPVersion.self) ?? .v2c
        let inform = reader.optional("inform", Bool.self) ?? false
        let timeout = reader.optional("timeout", ConfigDuration.self) ?? ConfigDuration(seconds: 2)
        if timeout.seconds <= 0 { reader.problem("timeout", "must be more than 0") }
        let retries = reader.optional("retries", Int.self) ?? 3
        if !(0...20).contains(retries) { reader.problem("retries", "expected 0 to 20, found \(retries)") }
        let explicitName = reader.optional("name", String.self)
        var community = "public"
        var user: SNMPUser?
        switch version {
        case .v2c:
            community = reader.optional("community", String.self) ?? "public"
            if community.isEmpty { reader.problem("community", "must not be empty") }
            for key in SNMPUser.keys where reader.has(key) {
                reader.problem(key, "is for `version: 3`; this target speaks SNMPv2c")
            }
        case .v3:
            if reader.has("community") {
                reader.problem("community", "is for `version: 2c`; SNMPv3 authenticates with `user`")
            }
            user = SNMPUser.read(reader, base: base)
        }
        guard let address, version == .v2c || user != nil else { return nil }
        var target = SNMPTarget(
            name: "", address: address, port: port, version: version, community: community, user: user,
            inform: inform, timeout: timeout, retries: retries
        )
        target.name = explicitName ?? target.endpoint
        return target
    }
}

extension SNMPUser {
    static let keys = ["user", "security_level", "auth_protocol", "auth_password_file", "priv_protocol", "priv_password_file"]

    static func read(_ reader: ConfigReader, base: String) -> SNMPUser? {
        let name = reader.required("user", String.self)
        if name?.isEmpty == true { reader.problem("user", "must not be empty") }
        let level = reader.optional("security_level", SNMPSecurityLevel.self) ?? .authPriv
        let authProtocol = reader.optional("auth_protocol", SNMPAuthProtocol.self) ?? .sha
        let privProtocol = reader.optional("priv_protocol", SNMPPrivProtocol.self) ?? .aes
        let authFile = passwordFile("auth_password_file", reader, base: base, required: true)
        let privFile = passwordFile("priv_password_file", reader, base: base, required: level == .authPriv)
        if level == .authNoPriv, reader.has("priv_password_file") {
            reader.problem("priv_password_file", "is unused with `security_level: authNoPriv`; remove it or use authPriv")
        }
        guard let name, !name.isEmpty, let authFile, level == .authNoPriv || privFile != nil else { return nil }
        return SNMPUser(
            name: name, securityLevel: level, authProtocol: authProtocol, authPasswordFile: authFile,
            privProtocol: privProtocol, privPasswordFile: level == .authPriv ? privFile : nil
        )
    }

    private static func passwordFile(_ key: String, _ reader: ConfigReader, base: String, required: Bool) -> String? {
        let text = required ? reader.required(key, String.self) : reader.optional(key, String.self)
        guard let path = text.map({ Config.resolve($0, base: base) }) else { return nil }
        if !FileManager.default.isReadableFile(atPath: path) {
            reader.problem(key, "cannot read \(path)")
        }
        return path
    }
}
