import Foundation

/// How the nodes agree on who serves: `failover.mode`.
public enum CoordinationMode: String, ConfigKeyword, Sendable {
    /// Two nodes over the peer link (heartbeats, handoff, witness): the default.
    case pair
    /// Two to nine nodes elect one through a leader key bound to a lease in etcd.
    case etcd
}

/// The `failover.etcd:` section (`failover.mode: etcd`): where the etcd cluster answers,
/// how this node signs in, and the lease's timings. Read and checked by `read`; the lease
/// coordinator's timings come from `leaseSettings`.
public struct EtcdConfig: Sendable, Equatable {
    /// `http://HOST:PORT` or `https://HOST:PORT` client URLs, tried in turn.
    public var endpoints: [String]
    /// Keys live under `prefix/CLUSTER/` (CLUSTER is `node.cluster`).
    public var prefix: String
    public var ttl: ConfigDuration
    public var renewInterval: ConfigDuration
    public var requestTimeout: ConfigDuration
    /// Higher campaigns first and is where `failback` brings the service.
    public var priority: Int
    public var tls: TLS?
    public var auth: Auth?

    /// The CA that signed etcd's certificates, and this client's certificate and key.
    public struct TLS: Sendable, Equatable {
        public var caFile: String
        public var certificateFile: String?
        public var keyFile: String?
    }

    /// etcd's own users: the name, and a file holding the password (never in the configuration).
    public struct Auth: Sendable, Equatable {
        public var user: String
        public var passwordFile: String
    }

    /// The keys of `failover:` that only the pair reads, refused with a reason in mode etcd.
    static let pairOnlyKeys = [
        "role", "peer", "listen", "keys", "active_key", "heartbeat_interval", "dead_after", "self_fence_after",
        "handoff_retries", "witness", "no_witness", "service_probe", "fence", "addresses", "announce", "address_probe_timeout",
    ]

    /// Reads the section; `stopTimeout` (`actions.stop.timeout`) enters the timing rule and
    /// the default ttl: the shortest whole number of seconds, 10 at least, that keeps it.
    static func read(_ reader: ConfigReader, base: String, stopTimeout: ConfigDuration, startTimeout: ConfigDuration) -> EtcdConfig? {
        var endpoints: [String] = []
        if let texts = reader.values("endpoints", String.self) {
            for text in texts {
                guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false,
                      url.path.isEmpty || url.path == "/" else {
                    reader.problem("endpoints", "expected etcd client URLs such as http://198.51.100.21:2379, found `\(text)`")
                    continue
                }
                endpoints.append(text.hasSuffix("/") ? String(text.dropLast()) : text)
            }
            if texts.isEmpty { reader.problem("endpoints", "expected at least one etcd client URL") }
        } else {
            reader.problem("endpoints", "missing; expected the etcd cluster's client URLs (http://HOST:2379, one per member)")
        }
        let prefix = reader.optional("prefix", String.self) ?? "/vacataire"
        if !prefix.hasPrefix("/") || prefix.hasSuffix("/") || prefix.contains("//") {
            reader.problem("prefix", "expected a key prefix such as /vacataire (starting with `/`, not ending with one), found `\(prefix)`")
        }
        let renew = reader.duration("renew_interval", default: ConfigDuration(seconds: 1), within: ConfigDuration(milliseconds: 100)...ConfigDuration(seconds: 60))
        let timeout = reader.duration("request_timeout", default: ConfigDuration(seconds: 1), within: ConfigDuration(milliseconds: 100)...ConfigDuration(seconds: 60))
        let needed = LeaseSettings.shortestTTL(renewInterval: renew.duration, requestTimeout: timeout.duration, stopTimeout: stopTimeout.duration)
        let defaultTTL = ConfigDuration(seconds: max(10, (Double(needed.components.seconds) + 1).rounded(.down)))
        let ttl = reader.duration("ttl", default: defaultTTL, within: ConfigDuration(seconds: 2)...ConfigDuration(seconds: 300))
        if ttl.seconds.rounded() != ttl.seconds {
            reader.problem("ttl", "etcd counts leases in whole seconds; found \(ttl)")
        }
        let timing = LeaseSettings(nodeName: "", ttl: ttl.duration, renewInterval: renew.duration, requestTimeout: timeout.duration,
                                   startTimeout: startTimeout.duration, stopTimeout: stopTimeout.duration)
        if let problem = timing.timingProblem {
            reader.problem("ttl", problem + " (actions.stop.timeout is \(stopTimeout))")
        }
        let priority = reader.optional("priority", Int.self) ?? 0
        if !(-1_000...1_000).contains(priority) {
            reader.problem("priority", "expected a number from -1000 to 1000 (higher serves first), found \(priority)")
        }
        let tls = reader.mapping("tls").flatMap { tlsReader -> TLS? in
            let ca = tlsReader.required("ca", String.self).map { Config.resolve($0, base: base) }
            let cert = tlsReader.optional("cert", String.self).map { Config.resolve($0, base: base) }
            let key = tlsReader.optional("key", String.self).map { Config.resolve($0, base: base) }
            for (name, file) in [("ca", ca), ("cert", cert), ("key", key)] {
                if let file, !FileManager.default.isReadableFile(atPath: file) {
                    tlsReader.problem(name, "cannot read \(file)")
                }
            }
            if (cert == nil) != (key == nil) {
                tlsReader.problem(cert == nil ? "cert" : "key", "a client certificate needs both `cert` and `key`")
            }
            tlsReader.finish()
            return ca.map { TLS(caFile: $0, certificateFile: cert, keyFile: key) }
        }
        let auth = reader.mapping("auth").flatMap { authReader -> Auth? in
            let user = authReader.required("user", String.self)
            let file = authReader.required("password_file", String.self).map { Config.resolve($0, base: base) }
            if let file {
                if !FileManager.default.isReadableFile(atPath: file) {
                    authReader.problem("password_file", "cannot read \(file)")
                } else if let mode = (try? FileManager.default.attributesOfItem(atPath: file))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
                    authReader.problem("password_file", "\(file) has mode \(String(format: "%04o", mode)); others may read it, it must be 0600 or 0400")
                }
            }
            authReader.finish()
            guard let user, let file else { return nil }
            return Auth(user: user, passwordFile: file)
        }
        if tls == nil, auth != nil, endpoints.contains(where: { $0.hasPrefix("http://") }) {
            reader.problem("auth", "the password would cross the network in clear to an http:// endpoint; use https:// endpoints with `tls`")
        }
        reader.finish()
        guard !endpoints.isEmpty else { return nil }
        return EtcdConfig(endpoints: endpoints, prefix: prefix, ttl: ttl, renewInterval: renew, requestTimeout: timeout,
                          priority: priority, tls: tls, auth: auth)
    }
}
