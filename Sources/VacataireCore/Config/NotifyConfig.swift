import Foundation

/// Where notifications go: SMTP destinations for email and SNMP targets for the NMS.
public struct NotifyConfig: Sendable {
    public var email: [EmailDestination]
    public var snmp: [SNMPTarget]

    public init(email: [EmailDestination], snmp: [SNMPTarget]) {
        self.email = email
        self.snmp = snmp
    }

    static func read(_ reader: ConfigReader, base: String) -> NotifyConfig {
        let email = reader.list("email") { EmailDestination.read($0, base: base) }
        let snmp = reader.list("snmp", SNMPTarget.read)
        reader.finish()
        return NotifyConfig(email: email, snmp: snmp)
    }
}

/// One SMTP server and the envelope of the messages sent through it.
public struct EmailDestination: Sendable, Equatable {
    /// A short name for output and logs; defaults to the server URL.
    public var name: String
    /// `smtp://host[:port]` or `smtps://host[:port]`.
    public var url: URL
    public var from: EmailAddress
    public var to: [EmailAddress]
    /// The whole delivery, connection included, must end within this.
    public var timeout: ConfigDuration
    /// Connecting must succeed within this.
    public var connectTimeout: ConfigDuration
    /// STARTTLS on `smtp://`: required unless the operator opts out explicitly.
    public var starttls: StartTLSPolicy
    /// A CA bundle to verify the server's certificate with, instead of the system's.
    public var caFile: String?
    /// Login for SMTP AUTH; the password is read from `passwordFile` at send time.
    public var username: String?
    public var passwordFile: String?

    /// `host:port` as shown in errors.
    public var endpoint: String {
        let port = url.port ?? (url.scheme == "smtps" ? 465 : 25)
        return "\(url.host ?? "?"):\(port)"
    }

    static func read(_ reader: ConfigReader, base: String) -> EmailDestination? {
        let urlText = reader.required("url", String.self)
        let url = urlText.flatMap { text -> URL? in
            guard let url = URL(string: text), let scheme = url.scheme, ["smtp", "smtps"].contains(scheme),
                  let host = url.host, !host.isEmpty
            else {
                reader.problem("url", "expected smtp://HOST[:PORT] or smtps://HOST[:PORT], found `\(text)`")
                return nil
            }
            return url
        }
        let from = reader.required("from", EmailAddress.self)
        let to = reader.values("to", EmailAddress.self)
        if to == nil {
            reader.problem("to", "missing; expected at least one recipient")
        } else if reader.node("to")?.sequence?.isEmpty == true {
            reader.problem("to", "expected at least one recipient, found an empty list")
        }
        let timeout = reader.optional("timeout", ConfigDuration.self) ?? ConfigDuration(seconds: 30)
        let connectTimeout = reader.optional("connect_timeout", ConfigDuration.self) ?? ConfigDuration(seconds: 10)
        if timeout.seconds <= 0 { reader.problem("timeout", "must be more than 0") }
        if connectTimeout.seconds <= 0 { reader.problem("connect_timeout", "must be more than 0") }
        let starttls = reader.optional("starttls", StartTLSPolicy.self) ?? .required
        let caFile = reader.optional("ca_file", String.self).map { Config.resolve($0, base: base) }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            reader.problem("ca_file", "cannot read \(caFile)")
        }
        let username = reader.optional("username", String.self)
        let passwordFile = reader.optional("password_file", String.self).map { Config.resolve($0, base: base) }
        if let passwordFile, !FileManager.default.isReadableFile(atPath: passwordFile) {
            reader.problem("password_file", "cannot read \(passwordFile)")
        }
        if (username == nil) != (passwordFile == nil) {
            reader.problem(username == nil ? "password_file" : "username", "`username` and `password_file` go together; set both or neither")
        }
        let name = reader.optional("name", String.self) ?? urlText ?? ""
        guard let url, let from, let to, !to.isEmpty else { return nil }
        return EmailDestination(
            name: name, url: url, from: from, to: to, timeout: timeout, connectTimeout: connectTimeout,
            starttls: starttls, caFile: caFile, username: username, passwordFile: passwordFile
        )
    }
}

/// Whether `smtp://` delivery upgrades the connection with STARTTLS.
public enum StartTLSPolicy: String, ConfigKeyword, Sendable {
    /// Refuse to send unless the server offers STARTTLS and the upgrade succeeds.
    case required
    /// Upgrade when the server offers it, send in clear text otherwise.
    case opportunistic
    /// Never upgrade (a local relay on loopback, a test sink).
    case off
}

/// The SNMP versions a target may speak.
public enum SNMPVersion: String, ConfigKeyword, Sendable {
    case v2c = "2c"
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

    /// `host:port` as shown in errors, with brackets around an IPv6 address.
    public var endpoint: String {
        address.isIPv6 ? "[\(address.host)]:\(port)" : "\(address.host):\(port)"
    }

    static func read(_ reader: ConfigReader) -> SNMPTarget? {
        let address = reader.required("address", HostAddress.self)
        let port = reader.optional("port", Port.self) ?? Port(162)
        let version = reader.optional("version", SNMPVersion.self) ?? .v2c
        let community = reader.optional("community", String.self) ?? "public"
        if community.isEmpty { reader.problem("community", "must not be empty") }
        let explicitName = reader.optional("name", String.self)
        guard let address else { return nil }
        var target = SNMPTarget(name: "", address: address, port: port, version: version, community: community)
        target.name = explicitName ?? target.endpoint
        return target
    }
}
