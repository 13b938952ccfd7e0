import VacataireAddress
import XCTest

/// A client on the segment follows a floating address from host a to host b when b adds it
/// and announces it. The client's neighbour cache is only read, never flushed or changed:
/// the announcement alone must move its entry.
final class NeighbourAnnouncerTests: XCTestCase {
    func testAClientFollowsAnIPv4AddressToItsNewHolder() throws {
        try checkClientFollows(try FloatingAddress("198.51.100.100/24", interface: AddressLab.interface))
    }

    func testAClientFollowsAnIPv6AddressToItsNewHolder() throws {
        try checkClientFollows(try FloatingAddress("2001:db8::100/64", interface: AddressLab.interface))
    }

    private func checkClientFollows(_ floating: FloatingAddress, file: StaticString = #filePath, line: UInt = #line) throws {
        let lab = try AddressLab([.a, .b, .client])
        defer { lab.remove() }
        let address = floating.address.addressText
        let first = AddressLab.Host.a.hardwareAddress
        let second = AddressLab.Host.b.hardwareAddress

        try NamespaceThread.run(in: lab.namespace(.a)) { try AddressTable.add(floating) }
        try lab.ping(address, from: .client)
        let before = try lab.neighbourEntry(for: address, in: .client)
        XCTAssertTrue(before.contains("lladdr \(first)"), "after the ping: \(before)", file: file, line: line)

        try NamespaceThread.run(in: lab.namespace(.a)) { try AddressTable.remove(floating) }
        try NamespaceThread.run(in: lab.namespace(.b)) { try AddressTable.add(floating) }
        // Adding alone tells the client nothing: the kernel sends no announcement itself.
        Thread.sleep(forTimeInterval: 0.3)
        let added = try lab.neighbourEntry(for: address, in: .client)
        XCTAssertTrue(added.contains("lladdr \(first)"), "b added it, before its announcement: \(added)", file: file, line: line)

        var announcements = 0
        var entry = added
        let started = Date()
        // Up to 5 announcements, 1 s apart, as an agent's schedule would send them.
        while announcements < 5 && !entry.contains("lladdr \(second)") {
            try NamespaceThread.run(in: lab.namespace(.b)) { try NeighbourAnnouncer.announce(floating) }
            announcements += 1
            let sent = Date()
            while Date().timeIntervalSince(sent) < 1 && !entry.contains("lladdr \(second)") {
                Thread.sleep(forTimeInterval: 0.01)
                entry = try lab.neighbourEntry(for: address, in: .client)
            }
        }
        XCTAssertTrue(entry.contains("lladdr \(second)"), "after \(announcements) announcements: \(entry)", file: file, line: line)
        XCTAssertEqual(announcements, 1, "the first announcement should move the entry", file: file, line: line)
        print("\(floating): the client's entry moved to b after \(announcements) announcement(s), "
            + "in \(Int(Date().timeIntervalSince(started) * 1000)) ms: \(entry)")
        try lab.ping(address, from: .client)
    }
}
