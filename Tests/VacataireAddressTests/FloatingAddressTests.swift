import VacataireAddress
import XCTest

/// Parsing and checking a floating address: what is accepted, and errors that name the text.
final class FloatingAddressTests: XCTestCase {
    func testParsesIPv4AndIPv6WithTheirPrefixLengths() throws {
        let ipv4 = try PrefixedAddress("198.51.100.100/24")
        XCTAssertEqual(ipv4.family, .ipv4)
        XCTAssertEqual(ipv4.bytes, [198, 51, 100, 100])
        XCTAssertEqual(ipv4.prefixLength, 24)
        XCTAssertEqual(ipv4.description, "198.51.100.100/24")

        let ipv6 = try PrefixedAddress("2001:DB8:0:0::100/64")
        XCTAssertEqual(ipv6.family, .ipv6)
        XCTAssertEqual(ipv6.bytes, [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 10) + [0x01, 0x00])
        XCTAssertEqual(ipv6.description, "2001:db8::100/64", "written in its usual form")
        XCTAssertEqual(ipv6.addressText, "2001:db8::100")
    }

    func testRejectsWhatCannotFloatNamingTheText() {
        let cases: [(String, String)] = [
            ("198.51.100.100", "no prefix length"),
            ("198.51.100.300/24", "neither an IPv4 address"),
            ("vip/24", "neither an IPv4 address"),
            ("198.51.100.100/33", "from 1 to 32"),
            ("198.51.100.100/0", "from 1 to 32"),
            ("198.51.100.100/", "from 1 to 32"),
            ("198.51.100.100/+8", "from 1 to 32"),
            ("2001:db8::100/129", "from 1 to 128"),
            ("fe80::1%eth0/64", "scope"),
            ("0.0.0.0/24", "the unspecified address"),
            ("127.0.0.5/8", "a loopback address"),
            ("224.0.0.18/24", "a multicast address"),
            ("::/64", "the unspecified address"),
            ("::1/128", "the loopback address"),
            ("ff02::1/64", "a multicast address"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try PrefixedAddress(text), text) { error in
                guard case let .unparsableAddress(named, _)? = error as? FloatingAddressError else {
                    return XCTFail("\(text): \(error)")
                }
                XCTAssertEqual(named, text)
                XCTAssertTrue("\(error)".hasPrefix("floating address \"\(text)\": "), "\(error)")
                XCTAssertTrue("\(error)".contains(reason), "\(text): \(error)")
            }
        }
    }

    func testChecksTheInterfaceNameAndTheLabel() throws {
        let labelled = try FloatingAddress("198.51.100.100/24", interface: "eth0", label: "eth0:vip")
        XCTAssertEqual(labelled.description, "198.51.100.100/24 on eth0 as eth0:vip")

        let cases: [(interface: String, label: String?, text: String, expected: String)] = [
            ("", nil, "198.51.100.100/24", "interface name \"\": it is empty"),
            ("eth0:1", nil, "198.51.100.100/24", "contains \":\""),
            ("a-very-long-name0", nil, "198.51.100.100/24", "17 bytes; Linux interface names have at most 15"),
            ("eth0", "vip", "198.51.100.100/24", "label \"vip\" on interface eth0: it must start with the interface name, e.g. eth0:vip"),
            ("eth0", "eth0:floating-one", "198.51.100.100/24", "17 bytes; a label has at most 15"),
            ("eth0", "eth0:vip", "2001:db8::100/64", "labels exist for IPv4 addresses only"),
        ]
        for item in cases {
            XCTAssertThrowsError(try FloatingAddress(item.text, interface: item.interface, label: item.label)) { error in
                XCTAssertTrue("\(error)".contains(item.expected), "\(error)")
            }
        }
    }
}
