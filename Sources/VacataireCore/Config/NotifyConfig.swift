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
        let readEmail = reader.list("email") { EmailDestination.read($0, base: base) }
        let readSNMP = reader.list("snmp") { SNMPTarget.read($0, base: base) }
        // The outbox, the logs and `notify-test` name destinations by `name`: two given
        // names that are the same are an error; a default name (the URL, `address:port`)
        // used twice gets its position appended.
        let email = uniqueNames(readEmail, key: "email", reader: reader, isDefault: { $0.name == $0.servers.first?.absoluteString })
        let snmp = uniqueNames(readSNMP, key: "snmp", reader: reader, isDefault: { $0.name == $0.endpoint })
        reader.finish()
        return NotifyConfig(email: email, snmp: snmp)
    }

    private static func uniqueNames<Destination: NamedDestination>(
        _ destinations: [Destination], key: String, reader: ConfigReader, isDefault: (Destination) -> Bool
    ) -> [Destination] {
        var seen: Set<String> = []
        var result = destinations
        for index in result.indices {
            let name = result[index].name
            if seen.insert(name).inserted { continue }
            if isDefault(result[index]) {
                result[index].name = "\(name) #\(index + 1)"
                seen.insert(result[index].name)
            } else {
                reader.problem(key, "two destinations are named `\(name)`; give each its own `name`")
            }
        }
        return result
    }
}

/// A notification destination with a name that the outbox and the logs use.
protocol NamedDestination {
    var name: String { get set }
}

extension EmailDestination: NamedDestination {}
extension SNMPTarget: NamedDestination {}

/// One set of recipients and the ordered SMTP servers that may carry their messages.
///
/// A message goes out once: through the first server that accepts it. The others are
/// fallbacks, tried in order when the one before fails.
public struct EmailDestination: Sendable, Equatable {
    /// A short name for output and logs; defaults to the first server URL.
    public var name: String
    /// `smtp://host[:port]` or `smtps://host[:port]` URLs, in the order they are tried; never empty.
    public var servers: [URL]
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

    /// The first server, the one tried first.
    public var url: URL {
        get { servers[0] }
        set { servers[0] = newValue }
    }

    /// `host:port` of the first server, as shown in errors.
    public var endpoint: String { Self.endpoint(of: url) }

    /// Every server's `host:port`, in order, comma-separated.
    public var endpoints: String { servers.map(Self.endpoint(of:)).joined(separator: ", ") }

    /// `host:port` of `server`, with the scheme's default port when the URL has none.
    public static func endpoint(of server: URL) -> String {
        let port = server.port ?? (server.scheme == "smtps" ? 465 : 25)
        return "\(server.host ?? "?"):\(port)"
    }

    static func read(_ reader: ConfigReader, base: String) -> EmailDestination? {
        let texts = serverTexts(reader)
        var servers: [URL] = []
        for (key, text) in texts {
            guard let url = URL(string: text), let scheme = url.scheme, ["smtp", "smtps"].contains(scheme),
                  let host = url.host, !host.isEmpty
            else {
                reader.problem(key, "expected smtp://HOST[:PORT] or smtps://HOST[:PORT], found `\(text)`")
                continue
            }
            servers.append(url)
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
        let name = reader.optional("name", String.self) ?? texts.first?.text ?? ""
        guard servers.count == texts.count, !servers.isEmpty, let from, let to, !to.isEmpty else { return nil }
        return EmailDestination(
            name: name, servers: servers, from: from, to: to, timeout: timeout, connectTimeout: connectTimeout,
            starttls: starttls, caFile: caFile, username: username, passwordFile: passwordFile
        )
    }
}

extension EmailDestination {
    /// The server URLs as written: `url` (one server) or `servers` (several, in order), never both.
    static func serverTexts(_ reader: ConfigReader) -> [(key: String, text: String)] {
        let hasURL = reader.has("url"), hasServers = reader.has("servers")
        if hasURL, hasServers {
            reader.problem("servers", "`url` and `servers` both set; use `url` for one server or `servers` for several")
            return []
        }
        if hasServers {
            guard let list = reader.values("servers", String.self) else { return [] }
            if list.isEmpty { reader.problem("servers", "expected at least one smtp:// or smtps:// URL, found an empty list") }
            return list.map { (key: "servers", text: $0) }
        }
        guard hasURL else {
            reader.problem("url", "missing; expected smtp://HOST[:PORT] or smtps://HOST[:PORT] (or `servers:` with several)")
            return []
        }
        return reader.optional("url", String.self).map { [(key: "url", text: $0)] } ?? []
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
