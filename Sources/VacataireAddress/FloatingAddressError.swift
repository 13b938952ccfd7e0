import Glibc

/// What was being done to a floating address when something failed; errors name it.
public enum AddressOperation: Sendable, Hashable {
    case add
    case remove
    case lookUp
    case announce
    case probe

    /// The words that follow "cannot" in an error.
    var phrase: String {
        switch self {
        case .add: "add"
        case .remove: "remove"
        case .lookUp: "look up"
        case .announce: "announce"
        case .probe: "probe the network for another holder of"
        }
    }
}

/// A floating address that could not be parsed, or a kernel operation on one that failed,
/// with what to do about it. Every case after the parsing ones names the address and the
/// interface.
public enum FloatingAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not an address with a prefix length, or not one that can float.
    case unparsableAddress(text: String, reason: String)
    /// The interface name is not one Linux accepts.
    case invalidInterfaceName(interface: String, reason: String)
    /// The label cannot go with this interface or address.
    case invalidLabel(label: String, interface: String, reason: String)
    /// No interface of that name exists in this host's network namespace.
    case noSuchInterface(operation: AddressOperation, address: String, interface: String)
    /// The interface has no Ethernet address (loopback, a tunnel): ARP and neighbour
    /// discovery frames cannot be sent on it.
    case notEthernet(operation: AddressOperation, address: String, interface: String, linkType: UInt16)
    /// The process lacks the capability the operation needs (CAP_NET_ADMIN or CAP_NET_RAW).
    case missingCapability(capability: String, operation: AddressOperation, address: String, interface: String)
    /// The kernel refused the request: its errno and, where it gave one, its own words.
    case refused(operation: AddressOperation, address: String, interface: String, errno: Int32, kernelMessage: String?)
    /// The interface already holds the IPv6 address with another prefix length (nil if it
    /// went before it could be read), and IPv6 holds an address only once per interface.
    case heldWithAnotherPrefixLength(address: String, interface: String, heldPrefixLength: UInt8?)
    /// A system call failed.
    case systemCallFailed(call: String, operation: AddressOperation, address: String, interface: String, errno: Int32)
    /// The kernel's answer was not what the protocol says.
    case unexpectedReply(operation: AddressOperation, address: String, interface: String, detail: String)

    public var description: String {
        switch self {
        case let .unparsableAddress(text, reason):
            return "floating address \"\(text)\": \(reason)"
        case let .invalidInterfaceName(interface, reason):
            return "interface name \"\(interface)\": \(reason)"
        case let .invalidLabel(label, interface, reason):
            return "label \"\(label)\" on interface \(interface): \(reason)"
        case let .noSuchInterface(operation, address, interface):
            return "cannot \(operation.phrase) \(address) on \(interface): there is no interface \(interface)"
                + " in this network namespace (`ip link` lists them)"
        case let .notEthernet(operation, address, interface, linkType):
            return "cannot \(operation.phrase) \(address) on \(interface): \(interface) is not an Ethernet link"
                + " (link type \(linkType)), so ARP and neighbour discovery cannot be sent on it"
        case let .missingCapability(capability, operation, address, interface):
            return "cannot \(operation.phrase) \(address) on \(interface): the agent needs \(capability)"
                + " (run it as root, or grant it with AmbientCapabilities=\(capability) in its systemd unit)"
        case let .refused(operation, address, interface, code, kernelMessage):
            let words = kernelMessage.map { ": \($0)" } ?? ""
            return "cannot \(operation.phrase) \(address) on \(interface): the kernel refused (\(Self.errnoText(code)))\(words)"
        case let .heldWithAnotherPrefixLength(address, interface, heldPrefixLength):
            let bare = address.split(separator: "/").first.map(String.init) ?? address
            let held = heldPrefixLength.map { "\(bare)/\($0)" } ?? bare
            return "cannot add \(address) on \(interface): \(interface) already holds \(held);"
                + " remove it first (ip addr del \(held) dev \(interface)) or use its prefix length"
        case let .systemCallFailed(call, operation, address, interface, code):
            return "cannot \(operation.phrase) \(address) on \(interface): \(call) failed (\(Self.errnoText(code)))"
        case let .unexpectedReply(operation, address, interface, detail):
            return "cannot \(operation.phrase) \(address) on \(interface): unexpected answer from the kernel: \(detail)"
        }
    }

    /// "EADDRNOTAVAIL, Cannot assign requested address"-like text: the number and strerror.
    static func errnoText(_ code: Int32) -> String {
        "errno \(code), \(String(cString: strerror(code)))"
    }
}
