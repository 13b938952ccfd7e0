import Foundation
import Synchronization

/// Three hosts in network namespaces, as operators deploy a pair:
///
/// ```
///                  lb: bridge br0 198.51.100.254/24
///                  (HAProxy, witness, SMTP, NMS; the samplers)
///                   |                         |
///   alpha: pub0 198.51.100.1/24      beta: pub0 198.51.100.2/24       (public network)
///   alpha: priv0 203.0.113.1/30 ------ beta: priv0 203.0.113.2/30     (private peer link)
/// ```
///
/// Nothing lives in the test's own namespace: the bridge and the public veths' far ends
/// are inside `lb`, so a lab never collides with another lab. Namespace names are `vop-X-PID-N` (X the host's initial, PID the test process's); a new lab first
/// deletes those whose test process is gone. `remove()` kills every process left in the
/// three namespaces, deletes them (their links go with them) and is safe to call twice.
public final class OperatorNetwork: @unchecked Sendable {
    /// A host of the lab.
    public enum Host: String, CaseIterable, Sendable {
        case lb, alpha, beta
    }

    public static let lbAddress = "198.51.100.254"
    public static let lbAddress6 = "2001:db8::254"
    /// iproute2's `ip`, wherever Debian put it.
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    } ?? "/usr/sbin/ip"
    public static let publicAddress: [Host: String] = [.alpha: "198.51.100.1", .beta: "198.51.100.2"]
    public static let privateAddress: [Host: String] = [.alpha: "203.0.113.1", .beta: "203.0.113.2"]

    /// Namespace name of each host.
    public let namespaces: [Host: String]

    /// Builds the three hosts; throws a `FixtureError` saying what is missing (root, iproute2).
    public init() throws {
        guard getuid() == 0 else {
            throw FixtureError("the namespace pair must run as root (it creates network namespaces and veth links)")
        }
        guard FileManager.default.isExecutableFile(atPath: Self.ip) else {
            throw FixtureError("the namespace pair needs \(Self.ip): apt-get install iproute2")
        }
        Self.removeAbandonedLabs()
        let tag = "\(getpid())-\(Self.nextLab())"
        namespaces = [.lb: "vop-l-\(tag)", .alpha: "vop-a-\(tag)", .beta: "vop-b-\(tag)"]
        do {
            try build()
        } catch {
            remove()
            throw error
        }
    }

    deinit {
        remove()
    }

    private static let counter = Mutex(0)

    private static func nextLab() -> Int {
        counter.withLock { value in
            value += 1
            return value
        }
    }

    /// Deletes the namespaces of labs whose test process is gone (killed before its
    /// tear-down), with whatever still runs in them. Names are `vop-X-PID-N`.
    private static func removeAbandonedLabs() {
        guard let listing = try? Repository.run(Self.ip, ["netns", "list"]), listing.status == 0 else { return }
        for line in listing.stdout.split(whereSeparator: \.isNewline) {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 4, parts[0] == "vop", let pid = pid_t(parts[2]), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            if let pids = try? Repository.run(Self.ip, ["netns", "pids", name]) {
                for leftover in pids.stdout.split(whereSeparator: \.isNewline).compactMap({ pid_t($0) }) { kill(leftover, SIGKILL) }
            }
            _ = try? Repository.run(Self.ip, ["netns", "delete", name])
            try? FileManager.default.removeItem(atPath: "\(etcRoot)/\(name)")
        }
    }

    private func build() throws {
        for host in Host.allCases {
            try ip(["netns", "add", name(host)])
            try ip(["link", "set", "lo", "up"], in: host)
        }
        try ip(["link", "add", "br0", "type", "bridge"], in: .lb)
        try ip(["addr", "add", "\(Self.lbAddress)/24", "dev", "br0"], in: .lb)
        // IPv6 on the public network too (a floating 2001:db8::/64 address is reached from lb).
        try ip(["-6", "addr", "add", "\(Self.lbAddress6)/64", "dev", "br0", "nodad"], in: .lb)
        try ip(["link", "set", "br0", "up"], in: .lb)
        for node in [Host.alpha, .beta] {
            // Public: a veth from the node's pub0 to a port of lb's bridge.
            let port = "\(node.rawValue.prefix(1))0"
            try ip(["link", "add", port, "type", "veth", "peer", "name", "pub0", "netns", name(node)], in: .lb)
            try ip(["link", "set", port, "master", "br0"], in: .lb)
            try ip(["link", "set", port, "up"], in: .lb)
            try ip(["addr", "add", "\(Self.publicAddress[node] ?? "")/24", "dev", "pub0"], in: node)
            try ip(["link", "set", "pub0", "up"], in: node)
        }
        // Private: one veth straight from alpha to beta.
        try ip(["link", "add", "priv0", "type", "veth", "peer", "name", "priv0", "netns", name(.beta)], in: .alpha)
        for node in [Host.alpha, .beta] {
            try ip(["addr", "add", "\(Self.privateAddress[node] ?? "")/30", "dev", "priv0"], in: node)
            try ip(["link", "set", "priv0", "up"], in: node)
        }
    }

    /// The namespace's name (for `ip netns exec`).
    public func name(_ host: Host) -> String {
        namespaces[host] ?? ""
    }

    /// The namespace's file, for setns(2).
    public func path(_ host: Host) -> String {
        "/run/netns/\(name(host))"
    }

    /// Cuts (or restores) the private peer link, on both of its ends.
    public func setPrivateLink(up: Bool) throws {
        for node in [Host.alpha, .beta] {
            try ip(["link", "set", "priv0", up ? "up" : "down"], in: node)
        }
    }

    /// Cuts (or restores) a node's public link: it no longer reaches lb (witness, SMTP,
    /// NMS), and neither HAProxy nor the peer's service probe reaches it.
    public func setPublicLink(_ node: Host, up: Bool) throws {
        try ip(["link", "set", "pub0", up ? "up" : "down"], in: node)
    }

    /// The command line that runs `arguments` inside `host`'s namespace.
    public func command(in host: Host, _ arguments: [String]) -> [String] {
        [Self.ip, "netns", "exec", name(host)] + arguments
    }

    /// The pids of every process whose network namespace is `host`'s.
    public func pids(in host: Host) -> [pid_t] {
        guard let result = try? Repository.run(Self.ip, ["netns", "pids", name(host)]), result.status == 0 else { return [] }
        return result.stdout.split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
    }

    /// SIGKILLs every process in `host`'s namespace (a crashed machine) and waits until
    /// none is left (at most 2 s).
    public func killEverything(in host: Host) {
        _ = Wait.until(timeout: 2, every: 0.02) {
            let left = pids(in: host)
            for pid in left { kill(pid, SIGKILL) }
            return left.isEmpty
        }
    }

    /// The host's own copy of `/etc/NAME`: `ip netns exec` binds each entry of
    /// /etc/netns/NAMESPACE over the same path under /etc (a file, or a directory whose
    /// mount point exists), so what runs in `host` reads it there. `remove()` deletes it.
    public func etc(_ host: Host, _ name: String) -> String {
        "\(Self.etcRoot)/\(self.name(host))/\(name)"
    }

    static let etcRoot = "/etc/netns"

    public func remove() {
        for host in Host.allCases {
            killEverything(in: host)
            _ = try? Repository.run(Self.ip, ["netns", "delete", name(host)])
            try? FileManager.default.removeItem(atPath: "\(Self.etcRoot)/\(name(host))")
        }
    }

    private func ip(_ arguments: [String], in host: Host? = nil) throws {
        let full = host.map { ["netns", "exec", name($0), Self.ip] + arguments } ?? arguments
        let result = try Repository.run(Self.ip, full)
        guard result.status == 0 else {
            throw FixtureError("ip \(full.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
    }
}
