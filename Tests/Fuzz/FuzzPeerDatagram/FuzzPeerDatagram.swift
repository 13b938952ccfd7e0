// libFuzzer target: the peer datagram decoder and validator. The first byte chooses the
// path: even, the bytes are a raw datagram (framing, key id, MAC); odd, the rest is a body
// that the target frames and signs with the shared key, to reach the JSON body parser and
// the replay and identity rules behind the MAC.
import Foundation
import VacataireCore
import VacatairePeer

private let key: PeerKey = {
    do {
        return try PeerKey(id: 1, bytes: [UInt8](repeating: 0x11, count: 32), source: "fuzz")
    } catch {
        fatalError("the fuzz key is valid: \(error)")
    }
}()

private let keyring: PeerKeyring = {
    do {
        return try PeerKeyring(keys: [key], activeKeyID: 1)
    } catch {
        fatalError("the fuzz keyring is valid: \(error)")
    }
}()

nonisolated(unsafe) private var validator = PeerMessageValidator(
    identity: PeerIdentity(cluster: "web-pair", node: "alpha"), peers: ["beta"], keyring: keyring)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPeerDatagram(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    guard let mode = bytes.first else { return 0 }
    let datagram: [UInt8]
    if mode & 1 == 0 {
        datagram = Array(bytes.dropFirst())
    } else {
        guard let sealed = PeerWireFormat.seal(body: Array(bytes.dropFirst().prefix(PeerWireFormat.maximumBodyBytes)), key: key) else { return 0 }
        datagram = sealed
    }
    let now: UInt64 = 1_795_608_000_000
    if let message = try? validator.validate(datagram, now: now) {
        precondition(message.firstInvalidField() == nil, "an accepted message is within bounds")
    }
    return 0
}
