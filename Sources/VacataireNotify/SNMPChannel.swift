import CNetSNMP
import Foundation
import VacataireCore

/// Sends SNMP notifications through Net-SNMP's single-session API.
///
/// The first varbinds are sysUpTime.0 and snmpTrapOID.0, then the LE-VACATAIRE-MIB objects
/// of `VacataireMIB.Object`. Net-SNMP is set up once per process, quietly: no configuration
/// files, no MIB loading, persistent files under the agent's state directory. Blocking: call
/// it off the cooperative thread pool (`BlockingWork.run`).
public struct SNMPChannel: Sendable {
    /// The message's varbind values, by object.
    public typealias Values = [VacataireMIB.Object: String]

    /// What the agent's sysUpTime counts from.
    public let startTime: Date

    public init(persistentDirectory: String, startTime: Date = Date()) throws(DeliveryError) {
        try NetSNMPLibrary.setUp(persistentDirectory: persistentDirectory)
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

    /// Sends one SNMPv2c trap of `kind` to `target`.
    public func sendTrap(_ kind: EventKind, values: Values, to target: SNMPTarget, now: Date = Date()) throws(DeliveryError) {
        let session = try NetSNMPSession(target: target)
        guard let pdu = cnetsnmp_pdu_create(Int32(CNETSNMP_PDU_TRAP2)) else {
            throw DeliveryError(.internalError, "Net-SNMP could not create a PDU for \(target.endpoint)")
        }
        var ticks = UInt(max(0, now.timeIntervalSince(startTime)) * 100)
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
            throw DeliveryError(.internalError, "Net-SNMP could not build the trap for \(target.endpoint)")
        }
        try session.send(pdu)
    }

    /// The MIB's objects are DisplayStrings: at most 255 octets. Longer text is cut at a
    /// character boundary so the receiver never sees half a UTF-8 sequence.
    static func displayStringBytes(_ text: String, limit: Int = 255) -> [UInt8] {
        var bytes: [UInt8] = []
        for character in text {
            let encoded = Array(character.utf8)
            guard bytes.count + encoded.count <= limit else { break }
            bytes += encoded
        }
        return bytes
    }

    private static func add(
        _ pdu: UnsafeMutableRawPointer, _ name: VacataireMIB.OID, _ type: Int, _ value: UnsafeRawPointer?, _ length: Int
    ) -> Bool {
        name.withUnsafeBufferPointer { oid in
            cnetsnmp_pdu_add(pdu, oid.baseAddress, oid.count, UInt8(type), value, length) == 0
        }
    }
}

/// Net-SNMP's process-wide set-up, done once, before any session.
enum NetSNMPLibrary {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var initialised = false

    static func setUp(persistentDirectory: String) throws(DeliveryError) {
        lock.lock()
        defer { lock.unlock() }
        guard !initialised else { return }
        do {
            try FileManager.default.createDirectory(atPath: persistentDirectory, withIntermediateDirectories: true)
        } catch {
            throw DeliveryError(.configuration, "cannot create Net-SNMP's directory \(persistentDirectory): \(error.localizedDescription)")
        }
        cnetsnmp_library_init("vacataire", persistentDirectory)
        initialised = true
    }
}

/// One open single-session to one target, closed when released.
final class NetSNMPSession {
    private let handle: UnsafeMutableRawPointer
    private let endpoint: String

    init(target: SNMPTarget, timeout: Double = 1, retries: Int = 0) throws(DeliveryError) {
        endpoint = target.endpoint
        let transport = target.address.isIPv6 ? "udp6" : "udp"
        let community = Array(target.community.utf8)
        var error = [CChar](repeating: 0, count: 256)
        let opened = community.withUnsafeBufferPointer { bytes in
            cnetsnmp_open_v2c("\(transport):\(target.endpoint)", bytes.baseAddress, bytes.count,
                              Int(timeout * 1_000_000), Int32(retries), &error, error.count)
        }
        guard let opened else {
            throw DeliveryError(.configuration, "cannot open an SNMP session to \(target.endpoint): \(Self.text(error))")
        }
        handle = opened
    }

    deinit {
        cnetsnmp_close(handle)
    }

    /// The text of a NUL-terminated error buffer.
    static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Sends `pdu` (and frees it, whatever happens).
    func send(_ pdu: UnsafeMutableRawPointer) throws(DeliveryError) {
        var error = [CChar](repeating: 0, count: 256)
        guard cnetsnmp_send(handle, pdu, &error, error.count) == 0 else {
            throw DeliveryError(.connection, "sending the trap to \(endpoint) failed: \(Self.text(error))")
        }
    }
}
