import Foundation
import XCTest
@testable import VacatairePeer

/// Keys, identities and messages shared by the peer tests.
enum PeerFixtures {
    static let cluster = "web-pair"
    static let alpha = PeerIdentity(cluster: cluster, node: "alpha")
    static let beta = PeerIdentity(cluster: cluster, node: "beta")
    /// 2026-11-25 12:00:00 UTC, in milliseconds.
    static let now: UInt64 = 1_795_608_000_000

    static func key(_ id: UInt16, fill: UInt8) -> PeerKey {
        // Known-good input: 32 bytes is within PeerKey's bounds.
        try! PeerKey(id: id, bytes: [UInt8](repeating: fill, count: 32), source: "test key \(id)")
    }

    static func keyring(_ keys: [PeerKey], active: UInt16) -> PeerKeyring {
        try! PeerKeyring(keys: keys, activeKeyID: active)
    }

    static let keyOne = key(1, fill: 0x11)
    static let keyTwo = key(2, fill: 0x22)
    static let ringOne = keyring([keyOne], active: 1)

    static let payload = PeerPayload(role: "master", state: "active", healthy: true, detail: "all checks pass")

    /// A valid message from beta to alpha, with the header values given.
    static func message(
        from sender: PeerIdentity = beta, boot: UInt64 = 7, epoch: UInt64 = 3, sequence: UInt64 = 1,
        sentAt: UInt64 = now, kind: PeerMessageKind = .heartbeat, requestID: UInt64? = nil,
        payload: PeerPayload = payload
    ) -> PeerMessage {
        PeerMessage(
            cluster: sender.cluster, sender: sender.node, bootID: boot, epoch: epoch, sequence: sequence,
            sentAtMilliseconds: sentAt, kind: kind, requestID: requestID, payload: payload
        )
    }

    static func encode(_ message: PeerMessage, keyring: PeerKeyring = ringOne) throws -> [UInt8] {
        try PeerMessageEncoder(keyring: keyring).encode(message)
    }

    /// Alpha's validator, accepting beta.
    static func validator(keyring: PeerKeyring = ringOne, skew: UInt64 = 30_000) -> PeerMessageValidator {
        PeerMessageValidator(identity: alpha, peers: ["beta"], keyring: keyring, allowedSkewMilliseconds: skew)
    }

    /// A fresh directory under the system's temporary directory, removed by the test's teardown.
    static func temporaryDirectory(for test: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "vacataire-peer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Writes `contents` to `directory/name` with `mode`, returns the path.
    static func writeFile(_ contents: [UInt8], named name: String, in directory: String, mode: Int) throws -> String {
        let path = directory + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(contents)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }
}
