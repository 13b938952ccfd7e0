import VacataireAddress
import XCTest

/// The duplicate probe finds the host that holds an address (ARP probe for IPv4, duplicate
/// address detection's solicitation for IPv6), and nobody when nobody does.
final class DuplicateAddressProbeTests: XCTestCase {
    private let ipv4 = "198.51.100.100/24"
    private let ipv6 = "2001:db8::100/64"

    func testFindsTheThirdHostHoldingAnIPv4Address() throws {
        try checkFindsHolder(ipv4)
    }

    func testFindsTheThirdHostHoldingAnIPv6Address() throws {
        try checkFindsHolder(ipv6)
    }

    func testFindsNobodyWhenNobodyHoldsTheAddress() throws {
        let lab = try AddressLab([.a, .third])
        defer { lab.remove() }
        for text in [ipv4, ipv6] {
            let floating = try FloatingAddress(text, interface: AddressLab.interface)
            let started = ContinuousClock.now
            let holder = try NamespaceThread.run(in: lab.namespace(.a)) {
                try DuplicateAddressProbe.probe(floating, timeout: .milliseconds(500))
            }
            XCTAssertNil(holder, "\(text): \(String(describing: holder))")
            XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(500), "\(text): waited the whole timeout")
        }
    }

    func testTheProbingHostHoldingItIsNoAnswer() throws {
        let lab = try AddressLab([.a, .third])
        defer { lab.remove() }
        for text in [ipv4, ipv6] {
            let floating = try FloatingAddress(text, interface: AddressLab.interface)
            let holder = try NamespaceThread.run(in: lab.namespace(.a)) {
                try AddressTable.add(floating)
                return try DuplicateAddressProbe.probe(floating, timeout: .milliseconds(500))
            }
            XCTAssertNil(holder, "\(text): our own interface answered: \(String(describing: holder))")
        }
    }

    private func checkFindsHolder(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let lab = try AddressLab([.a, .third])
        defer { lab.remove() }
        let floating = try FloatingAddress(text, interface: AddressLab.interface)
        try NamespaceThread.run(in: lab.namespace(.third)) { try AddressTable.add(floating) }
        let started = ContinuousClock.now
        let holder = try NamespaceThread.run(in: lab.namespace(.a)) {
            try DuplicateAddressProbe.probe(floating, timeout: .seconds(2))
        }
        XCTAssertEqual(holder?.description, AddressLab.Host.third.hardwareAddress, file: file, line: line)
        print("\(text): the probe found \(String(describing: holder)) in \(ContinuousClock.now - started)")
    }
}
