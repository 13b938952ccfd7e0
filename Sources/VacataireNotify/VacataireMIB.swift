import VacataireCore

/// The object identifiers of LE-VACATAIRE-MIB (Docs/mibs/LE-VACATAIRE-MIB.txt).
///
/// The module sits under IANA's documentation enterprise number 32473 (RFC 5612); a site
/// with its own enterprise number changes `enterprise` here and the MODULE-IDENTITY line in
/// the MIB file together (Docs/snmp.md says how).
public enum VacataireMIB {
    public typealias OID = [UInt]

    public static let enterprise: OID = [1, 3, 6, 1, 4, 1, 32473, 7411]
    public static let sysUpTime: OID = [1, 3, 6, 1, 2, 1, 1, 3, 0]
    public static let snmpTrapOID: OID = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0]

    /// The varbind objects, in the order every notification carries them.
    public enum Object: UInt, CaseIterable, Sendable {
        case nodeName = 1, clusterName, peerName, eventKind, oldRole, newRole, incidentID, reason, ackAuthor, message

        /// The instance OID sent in a varbind (`vacNodeName.0`).
        public var oid: OID { VacataireMIB.enterprise + [1, rawValue, 0] }
    }

    /// The notification type sent as snmpTrapOID.0 for each event kind.
    public static func notification(_ kind: EventKind) -> OID {
        let number: UInt
        switch kind {
        case .failover: number = 1
        case .takeover: number = 2
        case .failback: number = 3
        case .switchover: number = 4
        case .checkFailed: number = 5
        case .checkRecovered: number = 6
        case .peerLost: number = 7
        case .peerFound: number = 8
        case .acknowledged: number = 9
        case .reminder: number = 10
        case .test: number = 11
        case .agentStarted: number = 12
        case .agentStopped: number = 13
        case .flapping: number = 14
        case .digest: number = 15
        case .deliveryFailed: number = 16
        case .drill: number = 17
        case .drillFailed: number = 18
        }
        return enterprise + [0, number]
    }
}
