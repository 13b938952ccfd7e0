import VacataireAddress
import XCTest

/// Without CAP_NET_ADMIN the address table refuses, and without CAP_NET_RAW no packet socket
/// opens; either way the error names the capability, the address and the interface. The
/// capabilities are dropped on the calling thread only (capset acts on one thread).
final class CapabilityTests: XCTestCase {
    func testWithoutNetworkAdminAddingAndRemovingNameTheCapability() throws {
        let lab = try AddressLab([.a])
        defer { lab.remove() }
        for text in ["198.51.100.100/24", "2001:db8::100/64"] {
            let floating = try FloatingAddress(text, interface: AddressLab.interface)
            for (operation, call) in [
                (AddressOperation.add, { @Sendable in try AddressTable.add(floating) }),
                (.remove, { @Sendable in try AddressTable.remove(floating) }),
            ] {
                XCTAssertThrowsError(try NamespaceThread.run(in: lab.namespace(.a), dropping: [.networkAdmin], call)) { error in
                    XCTAssertEqual(
                        error as? FloatingAddressError,
                        .missingCapability(capability: "CAP_NET_ADMIN", operation: operation, address: text, interface: "va0"))
                    XCTAssertTrue("\(error)".contains("\(text) on va0: the agent needs CAP_NET_ADMIN"), "\(error)")
                }
            }
            // Looking up needs no privilege.
            XCTAssertFalse(try NamespaceThread.run(in: lab.namespace(.a), dropping: [.networkAdmin]) {
                try AddressTable.holds(floating)
            })
        }
    }

    func testWithoutNetworkRawAnnouncingAndProbingNameTheCapability() throws {
        let lab = try AddressLab([.a])
        defer { lab.remove() }
        for text in ["198.51.100.100/24", "2001:db8::100/64"] {
            let floating = try FloatingAddress(text, interface: AddressLab.interface)
            for (operation, call) in [
                (AddressOperation.announce, { @Sendable in try NeighbourAnnouncer.announce(floating) }),
                (.probe, { @Sendable in _ = try DuplicateAddressProbe.probe(floating, timeout: .milliseconds(100)) }),
            ] {
                XCTAssertThrowsError(try NamespaceThread.run(in: lab.namespace(.a), dropping: [.networkRaw], call)) { error in
                    XCTAssertEqual(
                        error as? FloatingAddressError,
                        .missingCapability(capability: "CAP_NET_RAW", operation: operation, address: text, interface: "va0"))
                    XCTAssertTrue("\(error)".contains("\(text) on va0: the agent needs CAP_NET_RAW"), "\(error)")
                }
            }
        }
    }
}
