@testable import VacataireAddress
import XCTest

/// The frames byte by byte: ARP announcement and probe, neighbour advertisement and
/// solicitation with checksums computed independently, and reading them back.
final class PacketTests: XCTestCase {
    private let hardware = HardwareAddress(bytes: [0x02, 0, 0, 0, 0, 0x0B])!
    private let ipv4: [UInt8] = [198, 51, 100, 100]
    private let ipv6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 10) + [0x01, 0x00]

    func testTheARPAnnouncementIsABroadcastRequestFromAndForTheAddress() {
        let frame = ARPPacket.announcement(of: ipv4, at: hardware).frame
        XCTAssertEqual(frame.count, 60, "padded to Ethernet's minimum")
        XCTAssertEqual(Array(frame[0..<14]), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, 0x0B, 0x08, 0x06])
        XCTAssertEqual(Array(frame[14..<22]), [0, 1, 0x08, 0x00, 6, 4, 0, 1], "Ethernet, IPv4, request")
        XCTAssertEqual(Array(frame[22..<28]), hardware.bytes)
        XCTAssertEqual(Array(frame[28..<32]), ipv4, "sender IP")
        XCTAssertEqual(Array(frame[32..<38]), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(frame[38..<42]), ipv4, "target IP")
        XCTAssertTrue(frame[42...].allSatisfy { $0 == 0 })
    }

    func testTheARPProbeComesFromTheUnspecifiedAddress() throws {
        let frame = ARPPacket.probe(for: ipv4, from: hardware).frame
        let read = try XCTUnwrap(ARPPacket(frame: frame))
        XCTAssertEqual(read.senderIP, [0, 0, 0, 0])
        XCTAssertEqual(read.targetIP, ipv4)
        XCTAssertEqual(read.senderHardware, hardware)
        XCTAssertNil(DuplicateAddressProbe.arpHolder(in: frame, of: ipv4), "a probe does not say it holds the address")
        XCTAssertEqual(DuplicateAddressProbe.arpHolder(in: ARPPacket.announcement(of: ipv4, at: hardware).frame, of: ipv4), hardware)
    }

    func testTheUnsolicitedAdvertisementGoesToAllNodesWithOverrideAndItsMAC() throws {
        let frame = NeighbourDiscoveryPacket.announcement(of: ipv6, at: hardware).frame
        XCTAssertEqual(frame.count, 14 + 40 + 32)
        XCTAssertEqual(Array(frame[0..<14]), [0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0x0B, 0x86, 0xDD])
        XCTAssertEqual(Array(frame[14..<22]), [0x60, 0, 0, 0, 0, 32, 58, 255], "version 6, 32 bytes of ICMPv6, hop limit 255")
        XCTAssertEqual(Array(frame[22..<38]), ipv6, "from the address")
        XCTAssertEqual(Array(frame[38..<54]), [0xFF, 0x02] + [UInt8](repeating: 0, count: 13) + [1], "to ff02::1")
        let icmp = Array(frame[54...])
        XCTAssertEqual(Array(icmp[0..<2]), [136, 0])
        XCTAssertEqual(Array(icmp[2..<4]), [0xF7, 0x22], "the checksum, computed independently")
        XCTAssertEqual(Array(icmp[4..<8]), [0x20, 0, 0, 0], "override only: not solicited, not a router")
        XCTAssertEqual(Array(icmp[8..<24]), ipv6, "target")
        XCTAssertEqual(Array(icmp[24...]), [2, 1] + hardware.bytes, "target link-layer address option")

        let read = try XCTUnwrap(NeighbourDiscoveryPacket(frame: frame))
        XCTAssertEqual(read.message, .advertisement(router: false, solicited: false, override: true))
        XCTAssertEqual(DuplicateAddressProbe.advertisedHolder(in: frame, of: ipv6), hardware)
    }

    func testTheDuplicateProbeIsASolicitationFromUnspecifiedToTheSolicitedNodeGroup() throws {
        let frame = NeighbourDiscoveryPacket.probe(for: ipv6, from: hardware).frame
        XCTAssertEqual(frame.count, 14 + 40 + 24, "no link-layer option from ::")
        XCTAssertEqual(Array(frame[0..<6]), [0x33, 0x33, 0xFF, 0, 0x01, 0x00])
        XCTAssertEqual(Array(frame[22..<38]), [UInt8](repeating: 0, count: 16))
        XCTAssertEqual(Array(frame[38..<54]), [0xFF, 0x02] + [UInt8](repeating: 0, count: 9) + [0x01, 0xFF, 0, 0x01, 0x00])
        XCTAssertEqual(Array(frame[54..<58]), [135, 0, 0x4A, 0xEF], "type, code, checksum computed independently")
        XCTAssertNil(DuplicateAddressProbe.advertisedHolder(in: frame, of: ipv6), "a solicitation is no answer")
    }

    func testAFrameWithABadChecksumOrHopLimitIsNotRead() {
        var frame = NeighbourDiscoveryPacket.announcement(of: ipv6, at: hardware).frame
        XCTAssertNotNil(NeighbourDiscoveryPacket(frame: frame))
        frame[frame.count - 1] ^= 1
        XCTAssertNil(NeighbourDiscoveryPacket(frame: frame), "checksum")
        var routed = NeighbourDiscoveryPacket.announcement(of: ipv6, at: hardware).frame
        routed[21] = 64
        XCTAssertNil(NeighbourDiscoveryPacket(frame: routed), "hop limit below 255: it crossed a router")
    }

    func testHardwareAddressText() {
        XCTAssertEqual(hardware.description, "02:00:00:00:00:0b")
        XCTAssertNil(HardwareAddress(bytes: [1, 2, 3]))
    }
}
