import CAddress
import Glibc

/// The kernel's address table of the calling thread's network namespace, through rtnetlink:
/// adds a floating address to its interface, removes it, and tells whether the interface
/// holds it. Each call blocks until the kernel has answered (at once in practice; at most
/// 5 s), so the agent runs them on a thread of its own. Adding needs CAP_NET_ADMIN, as does
/// removing; looking up needs no privilege.
public enum AddressTable {
    static let networkAdmin = "CAP_NET_ADMIN"

    /// Adds the address (RTM_NEWADDR). One already on the interface with this prefix
    /// length counts as added; an IPv6 one with another length is `heldWithAnotherPrefixLength`
    /// (IPv6 holds an address once per interface, IPv4 once per prefix length). An IPv6 address is added without duplicate address
    /// detection (IFA_F_NODAD), so it is usable at once instead of after about a second of
    /// being tentative: probe the network before adding if a duplicate is a concern.
    public static func add(_ floating: FloatingAddress) throws(FloatingAddressError) {
        let attempt = AddressAttempt(operation: .add, floating: floating)
        let link = try attempt.resolveInterface()
        var request = request(
            type: RTM_NEWADDR, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            floating: floating, index: link.index)
        if let label = floating.label {
            request.append(attribute: IFA_LABEL, string: label)
        }
        if floating.address.family == .ipv6 {
            request.append(attribute: IFA_FLAGS, uint32: UInt32(IFA_F_NODAD))
        }
        var socket = try RouteNetlinkSocket(for: attempt)
        let answer = try socket.acknowledge(request, capability: networkAdmin)
        if answer.errno == 0 { return }
        guard answer.errno == EEXIST else {
            throw attempt.refused(errno: answer.errno, kernelMessage: answer.message)
        }
        // EEXIST: the interface holds the address already. With this prefix length it is
        // what was asked for; IPv6 also says so for the address with another length, which
        // `holds` would then deny, so that is an error that says which length is there.
        let lengths = try prefixLengths(of: floating, on: link.index, through: &socket, attempt: attempt)
        guard lengths.contains(floating.address.prefixLength) else {
            throw .heldWithAnotherPrefixLength(
                address: floating.address.description, interface: floating.interface, heldPrefixLength: lengths.first)
        }
    }

    /// Removes the address (RTM_DELADDR). One the interface does not hold counts as removed.
    /// The label plays no part: the address with this prefix length goes whatever its label.
    public static func remove(_ floating: FloatingAddress) throws(FloatingAddressError) {
        let attempt = AddressAttempt(operation: .remove, floating: floating)
        let link = try attempt.resolveInterface()
        let request = request(type: RTM_DELADDR, flags: NLM_F_REQUEST | NLM_F_ACK, floating: floating, index: link.index)
        var socket = try RouteNetlinkSocket(for: attempt)
        let answer = try socket.acknowledge(request, capability: networkAdmin)
        // EADDRNOTAVAIL: not there. ENODEV for IPv4: the interface has no IPv4 set-up at all
        // (so no address either).
        guard answer.errno == 0 || answer.errno == EADDRNOTAVAIL
            || (answer.errno == ENODEV && floating.address.family == .ipv4)
        else {
            throw attempt.refused(errno: answer.errno, kernelMessage: answer.message)
        }
    }

    /// Whether the interface holds the address with this prefix length (an RTM_GETADDR dump
    /// of the family, searched for the interface's index and the address).
    public static func holds(_ floating: FloatingAddress) throws(FloatingAddressError) -> Bool {
        let attempt = AddressAttempt(operation: .lookUp, floating: floating)
        let link = try attempt.resolveInterface()
        var socket = try RouteNetlinkSocket(for: attempt)
        return try prefixLengths(of: floating, on: link.index, through: &socket, attempt: attempt)
            .contains(floating.address.prefixLength)
    }

    /// The prefix lengths with which interface `index` holds the floating address (an
    /// RTM_GETADDR dump of its family, searched for the index and the address).
    private static func prefixLengths(
        of floating: FloatingAddress, on index: Int32, through socket: inout RouteNetlinkSocket, attempt: AddressAttempt
    ) throws(FloatingAddressError) -> [UInt8] {
        var header = ifaddrmsg()
        header.ifa_family = UInt8(floating.address.family.socketFamily)
        let request = NetlinkRequest(type: RTM_GETADDR, flags: NLM_F_REQUEST | NLM_F_DUMP, header: header)
        // A dump interrupted by a change of the table is asked again (a few times at most).
        for _ in 1...3 {
            var lengths: [UInt8] = []
            let complete = try socket.dump(request) { message in
                if let held = Self.heldAddress(in: message), held.index == index,
                   held.address.bytes == floating.address.bytes {
                    lengths.append(held.address.prefixLength)
                }
            }
            if complete { return lengths }
        }
        throw attempt.unexpected("the address table kept changing during three dumps in a row")
    }

    /// A request with the ifaddrmsg and the address attributes (IFA_LOCAL and IFA_ADDRESS).
    private static func request(type: Int, flags: Int32, floating: FloatingAddress, index: Int32) -> NetlinkRequest {
        var header = ifaddrmsg()
        header.ifa_family = UInt8(floating.address.family.socketFamily)
        header.ifa_prefixlen = floating.address.prefixLength
        header.ifa_scope = UInt8(RT_SCOPE_UNIVERSE.rawValue)
        header.ifa_index = UInt32(bitPattern: index)
        if floating.address.family == .ipv6 {
            header.ifa_flags = UInt8(IFA_F_NODAD)
        }
        var request = NetlinkRequest(type: type, flags: flags, header: header)
        request.append(attribute: IFA_LOCAL, floating.address.bytes)
        request.append(attribute: IFA_ADDRESS, floating.address.bytes)
        return request
    }

    /// The interface index and address of one RTM_NEWADDR message of a dump: IFA_LOCAL
    /// (the local end, set for IPv4), else IFA_ADDRESS.
    private static func heldAddress(in message: UnsafeMutablePointer<nlmsghdr>) -> (index: Int32, address: PrefixedAddress)? {
        guard Int(message.pointee.nlmsg_type) == RTM_NEWADDR,
              Int(message.pointee.nlmsg_len) >= Int(caddress_nlmsg_length(UInt32(MemoryLayout<ifaddrmsg>.size)))
        else { return nil }
        let header = caddress_nlmsg_data(message)!.assumingMemoryBound(to: ifaddrmsg.self)
        var remaining = caddress_ifa_payload(message)
        var attribute = caddress_ifa_rta(header)
        var local: [UInt8]?
        var address: [UInt8]?
        while let current = attribute, caddress_rta_ok(current, remaining) != 0 {
            let type = Int(current.pointee.rta_type)
            let value = UnsafeRawBufferPointer(start: caddress_rta_data(current), count: Int(caddress_rta_payload(current)))
            if type == IFA_LOCAL { local = Array(value) }
            if type == IFA_ADDRESS { address = Array(value) }
            attribute = caddress_rta_next(current, &remaining)
        }
        guard let bytes = local ?? address,
              let held = PrefixedAddress(bytes: bytes, prefixLength: header.pointee.ifa_prefixlen)
        else { return nil }
        return (Int32(bitPattern: header.pointee.ifa_index), held)
    }
}
