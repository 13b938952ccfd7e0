import CAddress
import Glibc

/// One operation on one floating address: what every error of that operation names. The
/// sockets below take it so that a failed system call deep inside still says which address,
/// which interface, and what was being done.
struct AddressAttempt: Sendable {
    let operation: AddressOperation
    let floating: FloatingAddress

    var address: String { floating.address.description }
    var interface: String { floating.interface }

    /// A failed system call; EPERM and EACCES become the capability the call needs.
    func systemCall(_ call: String, errno code: Int32, capability: String? = nil) -> FloatingAddressError {
        if let capability, code == EPERM || code == EACCES {
            return missingCapability(capability)
        }
        return .systemCallFailed(call: call, operation: operation, address: address, interface: interface, errno: code)
    }

    func missingCapability(_ capability: String) -> FloatingAddressError {
        .missingCapability(capability: capability, operation: operation, address: address, interface: interface)
    }

    func refused(errno code: Int32, kernelMessage: String?) -> FloatingAddressError {
        .refused(operation: operation, address: address, interface: interface, errno: code, kernelMessage: kernelMessage)
    }

    func unexpected(_ detail: String) -> FloatingAddressError {
        .unexpectedReply(operation: operation, address: address, interface: interface, detail: detail)
    }

    /// The interface, resolved for this operation.
    func resolveInterface() throws(FloatingAddressError) -> NetworkInterface {
        try NetworkInterface(of: floating, for: operation)
    }

    /// The interface, which must be Ethernet with a hardware address (to send ARP or
    /// neighbour discovery frames from it).
    func resolveEthernetInterface() throws(FloatingAddressError) -> (NetworkInterface, HardwareAddress) {
        let link = try resolveInterface()
        guard link.linkType == UInt16(ARPHRD_ETHER), let hardware = link.hardwareAddress else {
            throw .notEthernet(operation: operation, address: address, interface: interface, linkType: link.linkType)
        }
        return (link, hardware)
    }
}
