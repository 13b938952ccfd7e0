import Foundation
import Yams

/// What a configuration `run` accepts but that leaves a pair unsafe without a word: nobody
/// paged, no takeover when the master's machine dies, a value copied from an example. Each
/// names its key and says the consequence. `check-config` prints them (`--strict` refuses
/// them, as the package's unit does), `run` logs them at start, `status` lists them.
public struct ConfigWarning: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The key at fault, as in the file (`notify`, `notify.email[0].to[0]`).
    public var key: String
    /// What happens because of it, and what to do.
    public var consequence: String

    public init(key: String, consequence: String) {
        self.key = key
        self.consequence = consequence
    }

    public var description: String { "\(key): \(consequence)" }
}

public enum ConfigWarnings {
    /// The warnings of `config`, whose YAML text is `yaml` (the values are searched for
    /// placeholders there, so that every key is named as written).
    public static func of(_ config: Config, yaml: String) -> [ConfigWarning] {
        var warnings: [ConfigWarning] = []
        if config.notify.email.isEmpty, config.notify.snmp.isEmpty {
            warnings.append(ConfigWarning(
                key: "notify",
                consequence: "no email destination and no SNMP target: nobody will be paged, whatever happens; add `notify.email` or `notify.snmp`"))
        }
        if let failover = config.failover, failover.witness == nil, failover.noWitness == .stay {
            let (master, standby) = failover.role == .master
                ? (config.node.name, failover.peer.name) : (failover.peer.name, config.node.name)
            warnings.append(ConfigWarning(
                key: "failover.no_witness",
                consequence: "no witness and `no_witness: stay`: if \(master)'s machine dies, \(standby) will not take over "
                    + "(it cannot tell a dead master from a cut link) and nobody serves until someone acts; "
                    + "set `failover.witness` (a host both nodes reach) with `service_probe`"))
        }
        if let etcd = config.failover?.etcd, etcd.tls == nil {
            warnings.append(ConfigWarning(
                key: "failover.etcd.tls",
                consequence: "etcd is reached without TLS: anyone on that network who reaches etcd may write the leader key and "
                    + "make a node start or stop its service; give `tls: {ca, cert, key}` with https:// endpoints (Docs/etcd.md)"))
        }
        if let root = try? Yams.compose(yaml: yaml) {
            // A secret's value is never printed, placeholder or not.
            let secret = ["community", "password", "secret", "passphrase"]
            for (key, value) in scalars(root, path: "") where !secret.contains(where: { key.lowercased().contains($0) }) {
                if let what = placeholder(value) {
                    warnings.append(ConfigWarning(
                        key: key, consequence: "`\(value)` holds \(what), reserved for documentation: a value left from an example; replace it"))
                }
            }
        }
        return warnings
    }

    /// Every scalar under `node` with its key path, in the file's order.
    static func scalars(_ node: Node, path: String) -> [(String, String)] {
        switch node {
        case .scalar(let scalar):
            return [(path, scalar.string)]
        case .mapping(let mapping):
            return mapping.flatMap { key, value -> [(String, String)] in
                let name = key.string ?? "?"
                return scalars(value, path: path.isEmpty ? name : "\(path).\(name)")
            }
        case .sequence(let sequence):
            return sequence.enumerated().flatMap { scalars($0.element, path: "\(path)[\($0.offset)]") }
        case .alias:
            return []
        }
    }

    /// What documentation placeholder `value` holds, if any: a name under example.org,
    /// .com or .net (RFC 2606), an address of 192.0.2.0/24, 198.51.100.0/24 or
    /// 203.0.113.0/24 (RFC 5737), or of 2001:db8::/32 (RFC 3849).
    public static func placeholder(_ value: String) -> String? {
        let lowered = value.lowercased()
        for domain in ["example.org", "example.com", "example.net"] {
            var searched = lowered[...]
            while let found = searched.range(of: domain) {
                let before = found.lowerBound == lowered.startIndex ? nil : lowered[lowered.index(before: found.lowerBound)]
                let after = found.upperBound == lowered.endIndex ? nil : lowered[found.upperBound]
                let boundedBefore = before.map { !($0.isLetter || $0.isNumber || $0 == "-") } ?? true
                let boundedAfter = after.map { !($0.isLetter || $0.isNumber || $0 == "-") } ?? true
                if boundedBefore, boundedAfter { return "the domain \(domain)" }
                searched = lowered[found.upperBound...]
            }
        }
        let separators = CharacterSet(charactersIn: "0123456789.").inverted
        for word in lowered.components(separatedBy: separators) {
            let octets = word.split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4, octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && UInt8($0) != nil }) else { continue }
            let prefix = octets.prefix(3).joined(separator: ".")
            if ["192.0.2", "198.51.100", "203.0.113"].contains(prefix) { return "the documentation address \(word)" }
        }
        let ipv6 = CharacterSet(charactersIn: "0123456789abcdef:").inverted
        for word in lowered.components(separatedBy: ipv6) where word.hasPrefix("2001:db8:") {
            return "the documentation address \(word)"
        }
        return nil
    }
}
