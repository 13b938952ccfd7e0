import VacataireCore

/// Where one peer key lives: the key id used on the wire and the key file's path.
public struct PeerKeyFile: Sendable, Hashable {
    public var id: UInt16
    public var path: String

    public init(id: UInt16, path: String) {
        self.id = id
        self.path = path
    }
}

/// The keys of the peer protocol: one active key signs what this node sends, and every
/// key is accepted on what it receives.
///
/// Rotation without downtime, as keepalived's `auth_hmac`: add the new key to both nodes
/// (reload), make it active on both (reload), then remove the old one (reload). During each
/// step every datagram sent is signed with a key the other node holds.
public struct PeerKeyring: Sendable, CustomStringConvertible {
    /// The key that signs outgoing messages.
    public let activeKey: PeerKey
    private let keys: [UInt16: PeerKey]

    /// A keyring from keys already read; `activeKeyID` must be among them.
    public init(keys: [PeerKey], activeKeyID: UInt16) throws(PeerKeyError) {
        guard !keys.isEmpty else { throw .noKeys }
        var byID: [UInt16: PeerKey] = [:]
        for key in keys {
            if let earlier = byID[key.id] {
                throw .duplicateKeyID(key.id, firstPath: earlier.source, secondPath: key.source)
            }
            byID[key.id] = key
        }
        guard let active = byID[activeKeyID] else {
            throw .activeKeyNotLoaded(activeKeyID, loaded: Array(byID.keys))
        }
        self.keys = byID
        self.activeKey = active
    }

    /// The keys `failover` names, read as `vacataire run`, SIGHUP and `check-config` read them.
    public static func load(_ failover: FailoverConfig) throws(PeerKeyError) -> PeerKeyring {
        try load(failover.keys.map { PeerKeyFile(id: $0.id, path: $0.file) }, activeKeyID: failover.activeKey)
    }

    /// Reads every key file (`PeerKey.load`) and makes `activeKeyID` the signing key.
    public static func load(_ files: [PeerKeyFile], activeKeyID: UInt16) throws(PeerKeyError) -> PeerKeyring {
        var keys: [PeerKey] = []
        for file in files {
            keys.append(try PeerKey.load(id: file.id, path: file.path))
        }
        return try PeerKeyring(keys: keys, activeKeyID: activeKeyID)
    }

    /// The key with this id, if this node holds it.
    public func key(id: UInt16) -> PeerKey? {
        keys[id]
    }

    /// The ids of every key accepted on receipt, in increasing order.
    public var keyIDs: [UInt16] {
        keys.keys.sorted()
    }

    public var description: String {
        "peer keyring (active key \(activeKey.id), accepted \(keyIDs.map(String.init).joined(separator: ", ")))"
    }
}
