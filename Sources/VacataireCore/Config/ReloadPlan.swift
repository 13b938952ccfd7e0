/// What a reload (SIGHUP) changes in a running agent, decided from the configuration it
/// runs with and the file's new one (Docs/cli.md, SIGHUP). Pure: the agent loads the
/// file and the new keys, then carries the plan out.
///
/// Notifications, templates, outbox retries and actions take effect at once; so do the
/// peer keys and the split-brain guard, unless the failover timings change, which (like
/// the checks, the node, the control socket, the state directory, the peer's addresses and
/// this node's listen address) need a restart: those keep their running values.
public struct ReloadPlan: Sendable {
    /// The configuration to run with: the new one, with the running checks.
    public var config: Config
    /// The failover settings to run with: the new actions, keys and (with the same timings)
    /// guard; the running role, peer, listen address and timings.
    public var failover: FailoverConfig
    /// What takes effect now, for the log.
    public var applied: [String]
    /// What changed in the file but waits for a restart.
    public var needsRestart: [String]
    /// Whether the peer keys or the active key changed (the agent loads the new keyring).
    public var keysChanged: Bool
    /// Why the file must not be applied at all, or nil: it describes another node (another
    /// name, cluster, role or peer), whose actions this node must never run.
    public var refusal: String?

    public init(running: Config, runningFailover: FailoverConfig, fresh: Config, freshFailover: FailoverConfig) {
        let sameMachine = freshFailover.settings(nodeName: fresh.node.name) == runningFailover.settings(nodeName: running.node.name)
        var identity: [String] = []
        if fresh.node.name != running.node.name { identity.append("node `\(fresh.node.name)`, not `\(running.node.name)`") }
        if fresh.node.cluster != running.node.cluster { identity.append("cluster `\(fresh.node.cluster)`, not `\(running.node.cluster)`") }
        if freshFailover.role != runningFailover.role { identity.append("role \(freshFailover.role.rawValue), not \(runningFailover.role.rawValue)") }
        if freshFailover.peer.name != runningFailover.peer.name { identity.append("peer `\(freshFailover.peer.name)`, not `\(runningFailover.peer.name)`") }
        refusal = identity.isEmpty ? nil
            : "the file describes another node (\(identity.joined(separator: ", "))); nothing of it applies: "
            + "to change who this node is, restart it with that file"
        keysChanged = freshFailover.keys != runningFailover.keys || freshFailover.activeKey != runningFailover.activeKey
        applied = ["notifications, templates and outbox retries", "actions"] + (sameMachine ? ["split-brain guard"] : [])
        var restart: [String] = []
        if fresh.checks != running.checks { restart.append("checks") }
        if fresh.node != running.node { restart.append("node") }
        if fresh.control != running.control { restart.append("control") }
        if fresh.stateDirectory != running.stateDirectory { restart.append("state_dir") }
        if fresh.snmpAgent != running.snmpAgent { restart.append("snmp_agent") }
        if !sameMachine { restart.append("failover roles and timings") }
        if freshFailover.listen != runningFailover.listen || freshFailover.peer != runningFailover.peer {
            restart.append("peer addresses and listen")
        }
        needsRestart = restart

        var kept = freshFailover
        kept.role = runningFailover.role
        kept.peer = runningFailover.peer
        kept.listen = runningFailover.listen
        kept.heartbeatInterval = runningFailover.heartbeatInterval
        kept.deadAfter = runningFailover.deadAfter
        kept.selfFenceAfter = runningFailover.selfFenceAfter
        kept.handoffTimeout = runningFailover.handoffTimeout
        kept.handoffRetries = runningFailover.handoffRetries
        if !sameMachine {
            // The machine knows which guard parts exist; they change together with it.
            kept.witness = runningFailover.witness
            kept.serviceProbe = runningFailover.serviceProbe
            kept.fence = runningFailover.fence
            kept.noWitness = runningFailover.noWitness
        }
        failover = kept
        config = fresh
        config.checks = running.checks
        config.snmpAgent = running.snmpAgent
    }
}
