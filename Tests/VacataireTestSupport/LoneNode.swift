import Foundation

/// The configuration of a node whose peer never answers (nobody listens on the peer's
/// port): a master settles as active after `dead_after`, a standby takes over. Its start
/// and stop actions are `true`; `sections` adds top-level sections (`notify:`,
/// `incidents:`), `failover` lines under `failover:` (each indented by two spaces).
public enum LoneNode {
    /// Writes `NAME.yaml` (and the peer key) in `directory`; returns its path.
    @discardableResult
    public static func writeConfig(
        in directory: TemporaryDirectory, name: String, role: String, peer: String, cluster: String = "pair-test",
        deadAfter: String = "1s", selfFenceAfter: String = "300ms", stopTimeout: String = "500ms",
        sections: String = "", failover: String = "  no_witness: stay"
    ) throws -> String {
        try directory.writePeerKey()
        return try directory.write("\(name).yaml", """
            node: {name: \(name), cluster: \(cluster)}
            state_dir: state
            control: {socket: state/control.sock}
            \(sections)
            failover:
              role: \(role)
              peer: {name: \(peer), addresses: ["127.0.0.1:\(try FreePort.udp())"]}
              listen: {address: 127.0.0.1, port: \(try FreePort.udp())}
              keys: [{id: 1, file: peer.key}]
              heartbeat_interval: 100ms
              dead_after: \(deadAfter)
              self_fence_after: \(selfFenceAfter)
              actions:
                start: {command: "true", timeout: 1s}
                stop: {command: "true", timeout: \(stopTimeout)}
            \(failover)

            """)
    }
}
