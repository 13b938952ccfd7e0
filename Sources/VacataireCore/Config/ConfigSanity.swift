import Foundation
import Yams

/// Checks across sections that catch a node configured to talk to itself: a peer named as
/// this node, a peer path that is this node's own listen address, a `service_probe` that
/// asks this node's own service whether the peer is alive. Each would make the pair
/// believe a dead peer alive (or a live one dead), so each is a located error.
enum ConfigSanity {
    static func check(
        node: NodeIdentity?, checks: [CheckConfig], failover: FailoverConfig?, loadBalancer: LoadBalancerConfig,
        in root: ConfigReader
    ) {
        guard let failover, let failoverNode = root.node("failover"), let failoverReader = ConfigReader(
            node: failoverNode, path: "failover", problems: ConfigProblems(file: root.problems.file)
        ) else { return }
        // A throwaway reader over `failover:` gives the lines of its keys without marking anything.
        func report(_ key: String, _ message: String) {
            let mark = failoverReader.mark(of: key)
            root.problems.add(message, key: "failover.\(key)", at: mark)
        }
        if let node, failover.peer.name == node.name {
            report("peer", "peer.name `\(failover.peer.name)` is this node's own name (node.name); name the other node of the pair")
        }
        for address in failover.peer.addresses where isSameEndpoint(address, failover.listen) {
            report("peer", "peer.addresses: \(address) is this node's own listen address (failover.listen); give the peer's address")
        }
        if let probe = failover.serviceProbe, let own = ownService(probe, checks: checks, loadBalancer: loadBalancer) {
            report("service_probe", "\(probe.absoluteString) is this node's own \(own); the probe must reach the peer's service, as the load balancer sees it")
        }
    }

    /// Whether a peer path reaches this node's own listening socket.
    static func isSameEndpoint(_ peer: FailoverConfig.Endpoint, _ listen: FailoverConfig.Endpoint) -> Bool {
        guard peer.port == listen.port else { return false }
        if normalized(peer.host.host) == normalized(listen.host.host) { return true }
        // Listening on every address: any loopback peer address is this node.
        return LoadBalancerConfig.isWildcard(listen.host.host) && isLoopback(peer.host.host)
    }

    /// What of this node's own the URL names (an HTTP check's service, the load-balancer
    /// endpoint), or nil when it names something else.
    static func ownService(_ probe: URL, checks: [CheckConfig], loadBalancer: LoadBalancerConfig) -> String? {
        guard let host = probe.host.map(normalized) else { return nil }
        let port = probe.port ?? (probe.scheme == "https" ? 443 : 80)
        for check in checks {
            guard case .http(let settings) = check.kind, let url = URL(string: settings.url),
                  let checkHost = url.host.map(normalized) else { continue }
            let checkPort = url.port ?? (url.scheme == "https" ? 443 : 80)
            if checkHost == host, checkPort == port, url.scheme == probe.scheme {
                return "service (the URL of check `\(check.name)`)"
            }
        }
        if let http = loadBalancer.http, Int(http.port.number) == port,
           normalized(http.host.host) == host || (isLoopback(host) && (LoadBalancerConfig.isWildcard(http.host.host) || isLoopback(http.host.host))) {
            return "load-balancer endpoint (`http:`)"
        }
        return nil
    }

    static func normalized(_ host: String) -> String {
        let lowered = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return lowered == "localhost" ? "127.0.0.1" : lowered
    }

    static func isLoopback(_ host: String) -> Bool {
        let host = normalized(host)
        return host.hasPrefix("127.") || host == "::1"
    }
}

extension ConfigReader {
    /// The line of `key`'s value in this mapping, or the mapping's own line.
    func mark(of key: String) -> Yams.Mark? {
        pairs.first { $0.key == key }?.value.mark ?? mark
    }
}
