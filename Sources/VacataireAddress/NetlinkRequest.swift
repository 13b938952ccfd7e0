import CAddress

/// One rtnetlink request as bytes: the netlink header, the family header (an ifaddrmsg for
/// addresses) and type-length-value attributes, each aligned as netlink wants. The socket
/// stamps the sequence number and the total length when it sends it.
struct NetlinkRequest {
    let type: UInt16
    let flags: UInt16
    /// Everything after the netlink header.
    private(set) var payload: [UInt8] = []

    init<Header: BitwiseCopyable>(type: Int, flags: Int32, header: Header) {
        self.type = UInt16(type)
        self.flags = UInt16(flags)
        withUnsafeBytes(of: header) { payload.append(contentsOf: $0) }
        pad()
    }

    /// Appends an attribute whose value is `value`'s bytes.
    mutating func append(attribute: Int, _ value: [UInt8]) {
        let length = caddress_rta_length(UInt32(value.count))
        withUnsafeBytes(of: UInt16(length)) { payload.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt16(attribute)) { payload.append(contentsOf: $0) }
        payload.append(contentsOf: value)
        pad()
    }

    /// Appends a 32-bit attribute in host order (as IFA_FLAGS is).
    mutating func append(attribute: Int, uint32 value: UInt32) {
        append(attribute: attribute, withUnsafeBytes(of: value) { Array($0) })
    }

    /// Appends a NUL-terminated string attribute (as IFA_LABEL is).
    mutating func append(attribute: Int, string value: String) {
        append(attribute: attribute, Array(value.utf8) + [0])
    }

    /// The whole message with its header: length, type, flags, `sequence`, port id 0 (the
    /// kernel).
    func bytes(sequence: UInt32) -> [UInt8] {
        let length = caddress_nlmsg_hdrlen() + UInt32(payload.count)
        var message = [UInt8]()
        message.reserveCapacity(Int(length))
        var header = nlmsghdr()
        header.nlmsg_len = length
        header.nlmsg_type = type
        header.nlmsg_flags = flags
        header.nlmsg_seq = sequence
        header.nlmsg_pid = 0
        withUnsafeBytes(of: header) { message.append(contentsOf: $0) }
        message.append(contentsOf: [UInt8](repeating: 0, count: Int(caddress_nlmsg_hdrlen()) - MemoryLayout<nlmsghdr>.size))
        message.append(contentsOf: payload)
        return message
    }

    private mutating func pad() {
        let aligned = Int(caddress_nlmsg_align(UInt32(payload.count)))
        payload.append(contentsOf: [UInt8](repeating: 0, count: aligned - payload.count))
    }
}
