import CNetSNMP
import Foundation
import VacataireCore

/// Net-SNMP's process-wide set-up, done once, before any session.
enum NetSNMPLibrary {
    private static let lock = NSLock()
    private static let usmLock = NSLock()
    nonisolated(unsafe) private static var initialised = false

    /// The first call wins: Net-SNMP has one persistent directory and one local engine per process.
    static func setUp(persistentDirectory: String, engineID: SNMPEngineID) throws(DeliveryError) {
        lock.lock()
        defer { lock.unlock() }
        guard !initialised else { return }
        do {
            try FileManager.default.createDirectory(atPath: persistentDirectory, withIntermediateDirectories: true)
        } catch {
            throw DeliveryError(.configuration, "cannot create Net-SNMP's directory \(persistentDirectory): \(error.localizedDescription)")
        }
        engineID.octets.withUnsafeBufferPointer { id in
            cnetsnmp_library_init("vacataire", persistentDirectory, id.baseAddress, id.count)
        }
        initialised = true
    }

    /// Runs `work` alone among SNMPv3 sessions: USM's user and engine-time tables are shared.
    static func withUSM(_ work: () throws(DeliveryError) -> Void) throws(DeliveryError) {
        usmLock.lock()
        defer { usmLock.unlock() }
        try work()
    }
}

/// The SNMPv3 passwords of one target, read from their files at send time.
struct SNMPCredentials {
    var auth: [UInt8]
    var priv: [UInt8]

    /// Net-SNMP derives keys only from passwords of 8 characters or more (RFC 3414).
    static let minimumLength = 8

    init(target: SNMPTarget) throws(DeliveryError) {
        guard let user = target.user else {
            throw DeliveryError(.configuration, "no SNMPv3 user configured for \(target.endpoint)")
        }
        auth = try Self.read(user.authPasswordFile, what: "authentication", target: target)
        priv = try user.privPasswordFile.map { path throws(DeliveryError) in
            try Self.read(path, what: "privacy", target: target)
        } ?? []
    }

    private static func read(_ path: String, what: String, target: SNMPTarget) throws(DeliveryError) -> [UInt8] {
        let text = try SecretFile.read(path) { reason in
            "cannot read the SNMPv3 \(what) password file \(path) for \(target.endpoint): \(reason)"
        }
        let password = Array(text.trimmingCharacters(in: .newlines).utf8)
        guard password.count >= minimumLength else {
            throw DeliveryError(.configuration, "the SNMPv3 \(what) password in \(path) is shorter than \(minimumLength) characters")
        }
        return password
    }
}

/// One open single-session to one target, closed when released.
final class NetSNMPSession {
    private let handle: UnsafeMutableRawPointer
    private let endpoint: String

    /// An SNMPv2c session.
    init(target: SNMPTarget) throws(DeliveryError) {
        endpoint = target.endpoint
        let community = Array(target.community.utf8)
        var error = [CChar](repeating: 0, count: 256)
        let opened = community.withUnsafeBufferPointer { bytes in
            cnetsnmp_open_v2c(Self.peer(target), bytes.baseAddress, bytes.count,
                              Self.microseconds(target.timeout), Int32(target.retries), &error, error.count)
        }
        guard let opened else {
            // The target was validated at load: failing now is the machine's state (no
            // descriptor for the socket, a name that does not resolve now), so retried.
            throw DeliveryError(.connection, "cannot open an SNMP session to \(target.endpoint): \(Self.text(error))")
        }
        handle = opened
    }

    /// An SNMPv3 session. A trap names this agent's engine as the authoritative one, with its
    /// boots and time; an inform leaves it empty so that Net-SNMP discovers the receiver's.
    init(target: SNMPTarget, credentials: SNMPCredentials, engine: SNMPEngineIdentity, uptime: TimeInterval) throws(DeliveryError) {
        endpoint = target.endpoint
        guard let user = target.user else {
            throw DeliveryError(.configuration, "no SNMPv3 user configured for \(target.endpoint)")
        }
        let engineID = target.inform ? [] : engine.id.octets
        var error = [CChar](repeating: 0, count: 256)
        var failure: Int32 = 0
        let opened = credentials.auth.withUnsafeBufferPointer { auth in
            credentials.priv.withUnsafeBufferPointer { priv in
                engineID.withUnsafeBufferPointer { id in
                    user.name.withCString { name in
                        var usm = cnetsnmp_usm(
                            user: name,
                            security_level: Int32(user.securityLevel == .authPriv ? CNETSNMP_SEC_AUTH_PRIV : CNETSNMP_SEC_AUTH_NOPRIV),
                            auth_protocol: Self.code(user.authProtocol),
                            auth_password: auth.baseAddress, auth_password_len: auth.count,
                            priv_protocol: user.securityLevel == .authPriv ? Self.code(user.privProtocol) : Int32(CNETSNMP_PRIV_NONE),
                            priv_password: priv.baseAddress, priv_password_len: priv.count,
                            engine_id: id.baseAddress, engine_id_len: id.count,
                            engine_boots: engine.boots, engine_time: UInt(uptime)
                        )
                        return cnetsnmp_open_v3(Self.peer(target), &usm, Self.microseconds(target.timeout),
                                                Int32(target.retries), &failure, &error, error.count)
                    }
                }
            }
        }
        guard let opened else {
            if failure == CNETSNMP_FAIL_TIMEOUT {
                throw DeliveryError(.timeout, "no acknowledgement from \(target.endpoint) after \(target.tries) tries (SNMPv3 engine discovery)")
            }
            throw DeliveryError(.connection, "cannot open an SNMPv3 session to \(target.endpoint): \(Self.text(error))")
        }
        handle = opened
    }

    deinit {
        cnetsnmp_close(handle)
    }

    /// Sends a trap `pdu` (and frees it, whatever happens).
    func send(_ pdu: UnsafeMutableRawPointer) throws(DeliveryError) {
        var error = [CChar](repeating: 0, count: 256)
        guard cnetsnmp_send(handle, pdu, &error, error.count) == 0 else {
            throw DeliveryError(.connection, "sending the trap to \(endpoint) failed: \(Self.text(error))")
        }
    }

    /// Sends an inform `pdu` (and frees it) and waits for its acknowledgement, within the
    /// session's timeout, `tries` times at most.
    func sendAcknowledged(_ pdu: UnsafeMutableRawPointer, tries: Int) throws(DeliveryError) {
        var error = [CChar](repeating: 0, count: 256)
        switch cnetsnmp_send_acknowledged(handle, pdu, &error, error.count) {
        case 0:
            return
        case 1:
            throw DeliveryError(.timeout, "no acknowledgement from \(endpoint) after \(tries) tries")
        default:
            throw DeliveryError(.connection, "the inform to \(endpoint) failed: \(Self.text(error))")
        }
    }

    /// The text of a NUL-terminated error buffer.
    static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func peer(_ target: SNMPTarget) -> String {
        "\(target.address.isIPv6 ? "udp6" : "udp"):\(target.endpoint)"
    }

    static func microseconds(_ duration: ConfigDuration) -> Int {
        Int(duration.seconds * 1_000_000)
    }

    static func code(_ protocol: SNMPAuthProtocol) -> Int32 {
        switch `protocol` {
        case .sha: return Int32(CNETSNMP_AUTH_SHA1)
        case .sha256: return Int32(CNETSNMP_AUTH_SHA256)
        case .sha512: return Int32(CNETSNMP_AUTH_SHA512)
        }
    }

    static func code(_ protocol: SNMPPrivProtocol) -> Int32 {
        switch `protocol` {
        case .aes: return Int32(CNETSNMP_PRIV_AES128)
        case .aes256: return Int32(CNETSNMP_PRIV_AES256)
        }
    }
}
