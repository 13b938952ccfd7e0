import VacataireAddress
import XCTest

/// Adding, finding and removing floating addresses through rtnetlink, in a namespace, with
/// `ip -o addr show` as the second witness.
final class AddressTableTests: XCTestCase {
    private let interface = AddressLab.interface

    func testAddsHoldsAndRemovesAnIPv4AddressWithItsLabel() throws {
        let lab = try AddressLab([.a])
        defer { lab.remove() }
        let floating = try FloatingAddress("198.51.100.100/24", interface: interface, label: "va0:vip")
        let host = lab.namespace(.a)

        XCTAssertFalse(try NamespaceThread.run(in: host) { try AddressTable.holds(floating) })
        try NamespaceThread.run(in: host) { try AddressTable.add(floating) }
        XCTAssertTrue(try NamespaceThread.run(in: host) { try AddressTable.holds(floating) })
        let listed = try lab.addresses(of: .a)
        XCTAssertTrue(listed.contains("inet 198.51.100.100/24"), listed)
        XCTAssertTrue(listed.contains("va0:vip"), listed)

        // Adding it again is success, and leaves one copy.
        try NamespaceThread.run(in: host) { try AddressTable.add(floating) }
        XCTAssertEqual(try lab.addresses(of: .a).components(separatedBy: "inet 198.51.100.100/24").count - 1, 1)

        try NamespaceThread.run(in: host) { try AddressTable.remove(floating) }
        XCTAssertFalse(try NamespaceThread.run(in: host) { try AddressTable.holds(floating) })
        XCTAssertFalse(try lab.addresses(of: .a).contains("198.51.100.100"))
        // Removing it again is success; the host's own address is untouched.
        try NamespaceThread.run(in: host) { try AddressTable.remove(floating) }
        XCTAssertTrue(try lab.addresses(of: .a).contains("inet 198.51.100.1/24"))
    }

    func testAddsHoldsAndRemovesAnIPv6AddressUsableAtOnce() throws {
        let lab = try AddressLab([.a])
        defer { lab.remove() }
        let floating = try FloatingAddress("2001:db8::100/64", interface: interface)
        let host = lab.namespace(.a)

        XCTAssertFalse(try NamespaceThread.run(in: host) { try AddressTable.holds(floating) })
        try NamespaceThread.run(in: host) { try AddressTable.add(floating) }
        XCTAssertTrue(try NamespaceThread.run(in: host) { try AddressTable.holds(floating) })
        let line = try lab.addresses(of: .a).split(separator: "\n").first { $0.contains("2001:db8::100/64") }
        let added = try XCTUnwrap(line, "ip -o addr show does not list 2001:db8::100/64")
        // No duplicate address detection: not tentative, usable at once.
        XCTAssertFalse(added.contains("tentative"), String(added))

        try NamespaceThread.run(in: host) { try AddressTable.add(floating) }
        try NamespaceThread.run(in: host) { try AddressTable.remove(floating) }
        XCTAssertFalse(try NamespaceThread.run(in: host) { try AddressTable.holds(floating) })
        XCTAssertFalse(try lab.addresses(of: .a).contains("2001:db8::100"))
        try NamespaceThread.run(in: host) { try AddressTable.remove(floating) }
        XCTAssertTrue(try lab.addresses(of: .a).contains("inet6 2001:db8::1/64"))
    }

    func testHoldsMeansThisAddressWithThisPrefixOnThisInterface() throws {
        let lab = try AddressLab([.a])
        defer { lab.remove() }
        let host = lab.namespace(.a)
        try lab.ip(["addr", "add", "198.51.100.100/32", "dev", interface], in: .a)
        try lab.ip(["link", "add", "va1", "type", "veth", "peer", "name", "va2"], in: .a)
        try lab.ip(["addr", "add", "198.51.100.101/24", "dev", "va1"], in: .a)

        let otherPrefix = try FloatingAddress("198.51.100.100/24", interface: interface)
        let otherInterface = try FloatingAddress("198.51.100.101/24", interface: interface)
        let held = try FloatingAddress("198.51.100.100/32", interface: interface)
        XCTAssertFalse(try NamespaceThread.run(in: host) { try AddressTable.holds(otherPrefix) })
        XCTAssertFalse(try NamespaceThread.run(in: host) { try AddressTable.holds(otherInterface) })
        XCTAssertTrue(try NamespaceThread.run(in: host) { try AddressTable.holds(held) })
    }

    func testAnIPv6AddressHeldWithAnotherPrefixLengthIsNotTakenForAdded() throws {
        let lab = try AddressLab([.a])
        defer { lab.remove() }
        try lab.ip(["addr", "add", "2001:db8::100/128", "dev", interface, "nodad"], in: .a)
        let floating = try FloatingAddress("2001:db8::100/64", interface: interface)
        XCTAssertThrowsError(try NamespaceThread.run(in: lab.namespace(.a)) { try AddressTable.add(floating) }) { error in
            XCTAssertEqual(
                error as? FloatingAddressError,
                .heldWithAnotherPrefixLength(address: "2001:db8::100/64", interface: "va0", heldPrefixLength: 128))
            XCTAssertTrue("\(error)".contains("va0 already holds 2001:db8::100/128"), "\(error)")
        }
        XCTAssertFalse(try NamespaceThread.run(in: lab.namespace(.a)) { try AddressTable.holds(floating) })
    }

    func testAMissingInterfaceIsNamedInTheError() throws {
        let lab = try AddressLab([.a])
        defer { lab.remove() }
        let floating = try FloatingAddress("198.51.100.100/24", interface: "va9")
        let host = lab.namespace(.a)
        for (operation, call) in [
            (AddressOperation.add, { @Sendable in try AddressTable.add(floating) }),
            (.remove, { @Sendable in try AddressTable.remove(floating) }),
            (.lookUp, { @Sendable in _ = try AddressTable.holds(floating) }),
            (.announce, { @Sendable in try NeighbourAnnouncer.announce(floating) }),
            (.probe, { @Sendable in _ = try DuplicateAddressProbe.probe(floating, timeout: .milliseconds(10)) }),
        ] {
            XCTAssertThrowsError(try NamespaceThread.run(in: host, call)) { error in
                XCTAssertEqual(
                    error as? FloatingAddressError,
                    .noSuchInterface(operation: operation, address: "198.51.100.100/24", interface: "va9"))
                XCTAssertTrue("\(error)".contains("198.51.100.100/24 on va9: there is no interface va9"), "\(error)")
            }
        }
    }

    func testTheKernelsOwnReasonIsInTheError() throws {
        let lab = try AddressLab([.a])
        defer { lab.remove() }
        let floating = try FloatingAddress("2001:db8::100/64", interface: interface)
        XCTAssertThrowsError(try NamespaceThread.run(in: lab.namespace(.a)) {
            // The file is the namespace's own: this thread has entered it.
            try "1\n".write(toFile: "/proc/sys/net/ipv6/conf/va0/disable_ipv6", atomically: false, encoding: .utf8)
            try AddressTable.add(floating)
        }) { error in
            guard case let .refused(operation, address, interface, code, message)? = error as? FloatingAddressError else {
                return XCTFail("not refused by the kernel: \(error)")
            }
            XCTAssertEqual(operation, .add)
            XCTAssertEqual(address, "2001:db8::100/64")
            XCTAssertEqual(interface, "va0")
            // EACCES here is the interface's IPv6 being off, not a missing capability.
            XCTAssertEqual(code, EACCES)
            XCTAssertNotNil(message, "the kernel's extended acknowledgement carries its reason")
            XCTAssertTrue("\(error)".hasPrefix("cannot add 2001:db8::100/64 on va0: the kernel refused"), "\(error)")
        }
    }
}
