/// An address that moves between the hosts of a pair: the prefixed address, the interface
/// that carries it on this host and, for IPv4, an optional label (keepalived's `eth0:vip`,
/// which `ip addr` and old `ifconfig` show as an alias). A value only: `AddressTable`,
/// `NeighbourAnnouncer` and `DuplicateAddressProbe` do the kernel work.
public struct FloatingAddress: Sendable, Hashable, CustomStringConvertible {
    /// The longest interface name (and label) Linux takes: IFNAMSIZ less its NUL.
    public static let maximumNameBytes = 15

    public let address: PrefixedAddress
    public let interface: String
    public let label: String?

    /// Checks the interface name as the kernel would, and the label: IPv4 only, starting
    /// with the interface name, at most 15 bytes.
    public init(address: PrefixedAddress, interface: String, label: String? = nil) throws(FloatingAddressError) {
        if let reason = Self.nameProblem(interface) {
            throw .invalidInterfaceName(interface: interface, reason: reason)
        }
        if let label {
            if let reason = Self.labelProblem(label, interface: interface, family: address.family) {
                throw .invalidLabel(label: label, interface: interface, reason: reason)
            }
        }
        self.address = address
        self.interface = interface
        self.label = label
    }

    /// Parses the address ("198.51.100.100/24", "2001:db8::100/64") and checks the rest as
    /// `init(address:interface:label:)` does.
    public init(_ text: String, interface: String, label: String? = nil) throws(FloatingAddressError) {
        try self.init(address: PrefixedAddress(text), interface: interface, label: label)
    }

    /// "198.51.100.100/24 on eth0" (with " as eth0:vip" when labelled): how errors and logs
    /// name it.
    public var description: String {
        let labelText = label.map { " as \($0)" } ?? ""
        return "\(address) on \(interface)\(labelText)"
    }

    /// Why the kernel would refuse this interface name, or nil (its `dev_valid_name`).
    private static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > maximumNameBytes {
            return "it has \(name.utf8.count) bytes; Linux interface names have at most \(maximumNameBytes)"
        }
        if name == "." || name == ".." { return "\"\(name)\" cannot name an interface" }
        if let bad = name.first(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) {
            return "it contains \(bad == "/" || bad == ":" ? "\"\(bad)\"" : "white space"), which Linux interface names cannot"
        }
        return nil
    }

    private static func labelProblem(_ label: String, interface: String, family: PrefixedAddress.Family) -> String? {
        if family == .ipv6 { return "labels exist for IPv4 addresses only" }
        if !label.hasPrefix(interface) {
            return "it must start with the interface name, e.g. \(interface):vip"
        }
        if label.utf8.count > maximumNameBytes {
            return "it has \(label.utf8.count) bytes; a label has at most \(maximumNameBytes)"
        }
        if label.contains(where: { $0 == "/" || $0.isWhitespace }) {
            return "it contains \"/\" or white space"
        }
        return nil
    }
}
