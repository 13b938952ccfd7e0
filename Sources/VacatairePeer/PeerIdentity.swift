import VacataireCore

/// Who this node is on the peer link: its cluster's name and its own node name.
public struct PeerIdentity: Sendable, Hashable {
    /// The pair's name, written in every message and required in every one received.
    public var cluster: String
    /// This node's name, unique within the cluster.
    public var node: String

    public init(cluster: String, node: String) {
        self.cluster = cluster
        self.node = node
    }

    /// The identity of the configuration's `node` section.
    public init(_ node: NodeIdentity) {
        self.init(cluster: node.cluster, node: node.name)
    }
}
