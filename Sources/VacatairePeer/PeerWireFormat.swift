import Crypto
import Foundation

/// The framing of one peer datagram (Docs/peer-protocol.md has the byte table):
///
///     offset  size  field
///     0       3     magic "VAC" (0x56 0x41 0x43)
///     3       1     protocol version (1)
///     4       2     key id, big-endian
///     6       2     body length N, big-endian
///     8       N     body: one JSON object, UTF-8
///     8+N     32    HMAC-SHA256 tag over bytes 0 ..< 8+N under the key named by the key id
///
/// The whole datagram is at most 1,500 bytes. `seal` builds one; `open` checks the framing
/// and the tag and returns the body, which is parsed only once authenticated.
public enum PeerWireFormat {
    /// The protocol version this build writes and accepts.
    public static let version: UInt8 = 1
    /// The first three bytes of every datagram.
    public static let magic: [UInt8] = Array("VAC".utf8)
    /// Magic, version, key id and body length.
    public static let headerBytes = 8
    /// An HMAC-SHA256 tag.
    public static let tagBytes = 32
    /// The largest body that still fits one datagram.
    public static let maximumBodyBytes = PeerMessageLimits.maximumDatagramBytes - headerBytes - tagBytes

    /// Frames `body` and signs it with `key`; nil when the body does not fit one datagram.
    /// Public for the peer decoder's fuzz target (Tests/Fuzz), which signs fuzzed bodies
    /// to reach the body parser behind the MAC.
    public static func seal(body: [UInt8], key: PeerKey, version: UInt8 = version) -> [UInt8]? {
        guard body.count <= maximumBodyBytes else { return nil }
        var datagram = magic
        datagram.reserveCapacity(headerBytes + body.count + tagBytes)
        datagram.append(version)
        datagram.append(UInt8(key.id >> 8))
        datagram.append(UInt8(key.id & 0xFF))
        datagram.append(UInt8(body.count >> 8))
        datagram.append(UInt8(body.count & 0xFF))
        datagram.append(contentsOf: body)
        let tag = datagram.withUnsafeBytes { key.tag(of: $0) }
        tag.withUnsafeBytes { datagram.append(contentsOf: $0) }
        return datagram
    }

    /// Checks framing and tag, in that order, and returns the key id and the body.
    ///
    /// Nothing of the body is looked at before its tag is verified, and the tag is compared
    /// in constant time (`PeerKey.verifies`).
    static func open(_ datagram: [UInt8], keyring: PeerKeyring) throws(PeerRejection) -> (keyID: UInt16, body: ArraySlice<UInt8>) {
        let size = datagram.count
        guard size <= PeerMessageLimits.maximumDatagramBytes else {
            throw PeerRejection(.oversized, "\(size) bytes, more than \(PeerMessageLimits.maximumDatagramBytes)")
        }
        guard datagram.prefix(magic.count).elementsEqual(magic.prefix(size)) else {
            throw PeerRejection(.badMagic, "\(size) bytes not starting with \"VAC\"")
        }
        guard size >= headerBytes else {
            throw PeerRejection(.truncated, "\(size) bytes, shorter than the \(headerBytes)-byte header")
        }
        guard datagram[3] == version else {
            throw PeerRejection(.unsupportedVersion, "protocol version \(datagram[3]), this node speaks \(version)")
        }
        let keyID = UInt16(datagram[4]) << 8 | UInt16(datagram[5])
        let bodyBytes = Int(datagram[6]) << 8 | Int(datagram[7])
        let expected = headerBytes + bodyBytes + tagBytes
        guard size >= expected else {
            throw PeerRejection(.truncated, "\(size) bytes, the header announces \(expected)")
        }
        guard size == expected else {
            throw PeerRejection(.trailingBytes, "\(size) bytes, the header announces \(expected)")
        }
        guard let key = keyring.key(id: keyID) else {
            throw PeerRejection(.unknownKey, "key id \(keyID) is not configured here (known: \(keyring.keyIDs.map(String.init).joined(separator: ", ")))",
                                hint: "they are signed with key id \(keyID), which this node does not have: check failover.keys on both nodes")
        }
        let signedBytes = headerBytes + bodyBytes
        let valid = datagram.withUnsafeBytes { bytes in
            key.verifies(UnsafeRawBufferPointer(rebasing: bytes[signedBytes...]), of: UnsafeRawBufferPointer(rebasing: bytes[..<signedBytes]))
        }
        guard valid else {
            throw PeerRejection(.badMAC, "tag does not match under key \(keyID)",
                                hint: "they fail authentication under key id \(keyID): the nodes' key files differ (check failover.keys on both nodes)")
        }
        return (keyID, datagram[headerBytes..<(headerBytes + bodyBytes)])
    }
}
