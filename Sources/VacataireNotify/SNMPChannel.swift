import CNetSNMP
import Foundation
import VacataireCore

/// Sends SNMP notifications through Net-SNMP's single-session API.
///
/// The first varbinds are sysUpTime.0 and snmpTrapOID.0, then the LE-VACATAIRE-MIB objects
/// of `VacataireMIB.Object`. Net-SNMP is set up once per process, quietly: no configuration
/// files, no MIB loading, persistent files under the agent's state directory. Blocking: call
/// it off the cooperative thread pool (`BlockingThread.run`).
public struct SNMPChannel: Sendable {
    /// The message's varbind values, by object.
    public typealias Values = [VacataireMIB.Object: String]

    /// What the agent's sysUpTime and snmpEngineTime count from.
    public let startTime: Date
    /// This agent's engine: the authoritative one of its SNMPv3 traps.
    public let engine: SNMPEngineIdentity

    public init(persistentDirectory: String, engine: SNMPEngineIdentity, startTime: Date) throws(DeliveryError) {
        try NetSNMPLibrary.setUp(persistentDirectory: persistentDirectory, engineID: engine.id)
        self.engine = engine
        self.startTime = startTime
    }

    /// The varbind values for `notification` with the rendered SNMP message text.
    public static func values(for notification: NotifiableEvent, message: String) -> Values {
        [
            .nodeName: notification.node, .clusterName: notification.cluster, .peerName: notification.peer ?? "",
            .eventKind: notification.kind.rawValue, .oldRole: notification.oldRole ?? "",
            .newRole: notification.newRole ?? "", .incidentID: notification.incidentID ?? "",
            .reason: notification.reason, .ackAuthor: notification.ackAuthor ?? "", .message: message,
        ]
    }

    /// Sends one notification of `kind` to `target`: a trap, or an inform that must be
    /// acknowledged, over SNMPv2c or SNMPv3 as the target says.
    public func send(_ kind: EventKind, values: Values, to target: SNMPTarget, now: Date) throws(DeliveryError) {
        let uptime = max(0, now.timeIntervalSince(startTime))
        if target.version == .v3 {
            let credentials = try SNMPCredentials(target: target)
            // Net-SNMP's USM user and engine-time tables are process-wide and unlocked.
            try NetSNMPLibrary.withUSM { () throws(DeliveryError) in
                let session = try NetSNMPSession(target: target, credentials: credentials, engine: engine, uptime: uptime)
                try deliver(kind, values: values, uptime: uptime, to: target, through: session)
            }
        } else {
            let session = try NetSNMPSession(target: target)
            try deliver(kind, values: values, uptime: uptime, to: target, through: session)
        }
    }

    private func deliver(
        _ kind: EventKind, values: Values, uptime: TimeInterval, to target: SNMPTarget, through session: NetSNMPSession
    ) throws(DeliveryError) {
        let pdu = try Self.pdu(kind, values: values, uptime: uptime, inform: target.inform, endpoint: target.endpoint)
        if target.inform {
            try session.sendAcknowledged(pdu, tries: target.tries)
        } else {
            try session.send(pdu)
        }
    }

    /// sysUpTime.0, snmpTrapOID.0, then every object of the MIB.
    static func pdu(
        _ kind: EventKind, values: Values, uptime: TimeInterval, inform: Bool, endpoint: String
    ) throws(DeliveryError) -> UnsafeMutableRawPointer {
        guard let pdu = cnetsnmp_pdu_create(Int32(inform ? CNETSNMP_PDU_INFORM : CNETSNMP_PDU_TRAP2)) else {
            throw DeliveryError(.internalError, "Net-SNMP could not create a PDU for \(endpoint)")
        }
        var ticks = UInt(uptime * 100)
        var added = Self.add(pdu, VacataireMIB.sysUpTime, CNETSNMP_TYPE_TIMETICKS, &ticks, MemoryLayout<UInt>.size)
        let trapOID = VacataireMIB.notification(kind)
        added = added && trapOID.withUnsafeBufferPointer {
            Self.add(pdu, VacataireMIB.snmpTrapOID, CNETSNMP_TYPE_OBJECT_ID, $0.baseAddress, $0.count * MemoryLayout<UInt>.size)
        }
        for object in VacataireMIB.Object.allCases {
            let bytes = Self.displayStringBytes(values[object] ?? "")
            added = added && bytes.withUnsafeBufferPointer {
                Self.add(pdu, object.oid, CNETSNMP_TYPE_OCTET_STRING, $0.baseAddress, $0.count)
            }
        }
        guard added else {
            cnetsnmp_pdu_free(pdu)
            throw DeliveryError(.internalError, "Net-SNMP could not build the notification for \(endpoint)")
        }
        return pdu
    }

    /// The MIB's objects are DisplayStrings: at most 255 octets. Longer text is cut at a
    /// character boundary so the receiver never sees half a UTF-8 sequence, and ends with
    /// `…` so that nobody reads a cut reason as whole.
    static func displayStringBytes(_ text: String, limit: Int = 255) -> [UInt8] {
        let whole = Array(text.utf8)
        guard whole.count > limit else { return whole }
        let mark = Array("…".utf8)
        var bytes: [UInt8] = []
        for character in text {
            let encoded = Array(character.utf8)
            guard bytes.count + encoded.count + mark.count <= limit else { break }
            bytes += encoded
        }
        return bytes + mark
    }

    private static func add(
        _ pdu: UnsafeMutableRawPointer, _ name: VacataireMIB.OID, _ type: Int, _ value: UnsafeRawPointer?, _ length: Int
    ) -> Bool {
        name.withUnsafeBufferPointer { oid in
            cnetsnmp_pdu_add(pdu, oid.baseAddress, oid.count, UInt8(type), value, length) == 0
        }
    }
}

