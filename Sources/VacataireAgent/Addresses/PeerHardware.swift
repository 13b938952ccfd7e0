import Foundation
import VacataireAddress

/// The peer's hardware addresses as this host's kernel learnt them (IPv4's neighbour
/// table, /proc/net/arp), for the peer's own IP addresses: a takeover over a silent peer
/// whose service is down takes over what its kernel may still answer for.
enum PeerHardware {
    static func of(_ hosts: [String], table: String = "/proc/net/arp") -> Set<HardwareAddress> {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { return [] }
        var found: Set<HardwareAddress> = []
        // IP address, HW type, Flags, HW address, Mask, Device
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 4, hosts.contains(String(fields[0])) else { continue }
            let bytes = fields[3].split(separator: ":").compactMap { UInt8($0, radix: 16) }
            if bytes.count == 6, bytes != [0, 0, 0, 0, 0, 0], let hardware = HardwareAddress(bytes: bytes) { found.insert(hardware) }
        }
        return found
    }
}
