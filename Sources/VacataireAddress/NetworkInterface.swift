import CAddress
import Glibc

/// An interface of the calling thread's network namespace as the kernel knows it: the index
/// that rtnetlink and packet sockets take, and the Ethernet address that announcements and
/// probes carry as their sender.
public struct NetworkInterface: Sendable, Hashable {
    public let name: String
    public let index: Int32
    /// The link's own hardware address; nil when it has none of six bytes (lo, a tunnel).
    public let hardwareAddress: HardwareAddress?
    /// The ARPHRD_* link type (1 for Ethernet, veth and bridges included).
    public let linkType: UInt16

    /// Looks up the floating address's interface; throws `noSuchInterface` when it does not
    /// exist here.
    public init(of floating: FloatingAddress) throws(FloatingAddressError) {
        try self.init(of: floating, for: .lookUp)
    }

    init(of floating: FloatingAddress, for operation: AddressOperation) throws(FloatingAddressError) {
        name = floating.interface
        let found = if_nametoindex(floating.interface)
        guard found != 0 else {
            let code = errno
            if code == ENODEV || code == ENXIO {
                throw .noSuchInterface(operation: operation, address: floating.address.description, interface: name)
            }
            throw .systemCallFailed(
                call: "if_nametoindex", operation: operation, address: floating.address.description,
                interface: name, errno: code)
        }
        index = Int32(bitPattern: found)
        (hardwareAddress, linkType) = Self.link(named: floating.interface)
    }

    /// The interface's hardware address and link type, from its AF_PACKET entry in
    /// getifaddrs(3); (nil, 0) when there is none.
    private static func link(named name: String) -> (HardwareAddress?, UInt16) {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return (nil, 0) }
        defer { freeifaddrs(first) }
        var entry = first
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let socketAddress = current.pointee.ifa_addr,
                  Int32(socketAddress.pointee.sa_family) == AF_PACKET,
                  String(cString: current.pointee.ifa_name) == name
            else { continue }
            let link = UnsafeRawPointer(socketAddress).loadUnaligned(as: sockaddr_ll.self)
            let length = Int(link.sll_halen)
            let bytes = withUnsafeBytes(of: link.sll_addr) { Array($0.prefix(length)) }
            return (HardwareAddress(bytes: bytes), link.sll_hatype)
        }
        return (nil, 0)
    }
}
