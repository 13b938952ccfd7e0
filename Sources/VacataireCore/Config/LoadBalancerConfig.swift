import Foundation

/// The `http:` and `agent_check:` sections: where the daemon answers load balancers
/// (Docs/load-balancers.md). Each is off when its section is absent.
///
///     http: {address: 127.0.0.1, port: 9411}         # /health, /status, /metrics
///     agent_check: {address: 127.0.0.1, port: 9412} # HAProxy's agent-check protocol
public struct LoadBalancerConfig: Sendable, Equatable {
    /// The HTTP endpoint's TCP address, if enabled.
    public var http: FailoverConfig.Endpoint?
    /// The HAProxy agent-check responder's TCP address, if enabled.
    public var agentCheck: FailoverConfig.Endpoint?

    public init(http: FailoverConfig.Endpoint? = nil, agentCheck: FailoverConfig.Endpoint? = nil) {
        self.http = http
        self.agentCheck = agentCheck
    }

    /// The address both sections use when none is written: loopback, the safe default for
    /// an unauthenticated status page. Set `address` to the address the load balancer reaches.
    public static let defaultAddress = HostAddress(host: "127.0.0.1")

    static func read(_ root: ConfigReader) -> LoadBalancerConfig {
        let http = root.mapping("http").flatMap { readListen($0) }
        let agentCheck = root.mapping("agent_check").flatMap { readListen($0) }
        if let http, let agentCheck, http.port == agentCheck.port,
           http.host == agentCheck.host || [http.host.host, agentCheck.host.host].contains(where: isWildcard) {
            root.problem("agent_check", "port \(agentCheck.port) is also the `http:` port; give each its own port")
        }
        return LoadBalancerConfig(http: http, agentCheck: agentCheck)
    }

    /// `{address, port}`: `port` is required, `address` defaults to 127.0.0.1.
    static func readListen(_ reader: ConfigReader) -> FailoverConfig.Endpoint? {
        let address = reader.optional("address", HostAddress.self)
        let port = reader.required("port", Port.self)
        if let address, !HostAddress.isIPv4(address.host), !HostAddress.isIPv6(address.host) {
            reader.problem("address", "expected an IP address to listen on (such as 127.0.0.1 or 0.0.0.0), found `\(address.host)`")
        }
        reader.finish()
        guard let port else { return nil }
        return FailoverConfig.Endpoint(host: address ?? defaultAddress, port: port)
    }

    static func isWildcard(_ host: String) -> Bool {
        host == "0.0.0.0" || host == "::"
    }
}
