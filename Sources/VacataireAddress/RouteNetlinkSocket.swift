import CAddress
import Glibc

/// An rtnetlink socket of the calling thread's network namespace, open for one attempt:
/// sends a request and reads what answers it, an acknowledgement or a dump. Asks the kernel
/// for its extended acknowledgements, whose text ("prefix length is too long"...) goes into
/// the error. Closed when dropped.
struct RouteNetlinkSocket: ~Copyable {
    /// How long a read waits for the kernel before the attempt fails (it answers at once).
    static let answerTimeoutSeconds = 5

    private let descriptor: Int32
    private let attempt: AddressAttempt
    private var sequence: UInt32 = 0
    /// Room for one datagram of a dump (the kernel fills at most 32 KiB at a time).
    private let buffer: UnsafeMutableRawBufferPointer

    init(for attempt: AddressAttempt) throws(FloatingAddressError) {
        let opened = try Self.open(for: attempt)
        descriptor = opened
        self.attempt = attempt
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
    }

    /// A bound rtnetlink socket with extended acks and a read timeout.
    private static func open(for attempt: AddressAttempt) throws(FloatingAddressError) -> Int32 {
        let opened = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        guard opened >= 0 else {
            throw attempt.systemCall("socket(AF_NETLINK)", errno: errno)
        }
        var local = sockaddr_nl()
        local.nl_family = sa_family_t(AF_NETLINK)
        let bound = withUnsafePointer(to: &local) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(opened, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(opened)
            throw attempt.systemCall("bind(AF_NETLINK)", errno: code)
        }
        var on: Int32 = 1
        // Both are best effort: without them the errno alone still says what failed.
        setsockopt(opened, SOL_NETLINK, NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(opened, SOL_NETLINK, NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: answerTimeoutSeconds, tv_usec: 0)
        setsockopt(opened, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return opened
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    /// Sends `request` (which must ask for an ack) and returns the kernel's answer: errno 0
    /// for success, else the errno and the kernel's own message if it gave one. EPERM
    /// throws `missingCapability(capability)`.
    mutating func acknowledge(_ request: NetlinkRequest, capability: String) throws(FloatingAddressError) -> (errno: Int32, message: String?) {
        let sequence = try send(request)
        while true {
            var answer: (errno: Int32, message: String?)?
            try receiveBatch { message throws(FloatingAddressError) in
                guard message.pointee.nlmsg_seq == sequence else { return true }
                guard message.pointee.nlmsg_type == UInt16(NLMSG_ERROR) else {
                    throw attempt.unexpected("message type \(message.pointee.nlmsg_type) where an acknowledgement was due")
                }
                answer = try Self.acknowledgement(in: message, attempt: attempt)
                return false
            }
            if let answer {
                // rtnetlink's permission check answers EPERM. EACCES means something else
                // here (IPv6 turned off on the interface), so it stays the kernel's refusal.
                if answer.errno == EPERM {
                    throw attempt.missingCapability(capability)
                }
                return answer
            }
        }
    }

    /// Sends a dump request and hands each of its messages to `body` until the kernel says
    /// it is done. Returns false when the kernel marked the dump interrupted (the table
    /// changed during it), in which case the caller should dump again.
    mutating func dump(
        _ request: NetlinkRequest, _ body: (UnsafeMutablePointer<nlmsghdr>) -> Void
    ) throws(FloatingAddressError) -> Bool {
        let sequence = try send(request)
        var done = false
        var complete = true
        while !done {
            try receiveBatch { message throws(FloatingAddressError) in
                guard message.pointee.nlmsg_seq == sequence else { return true }
                if message.pointee.nlmsg_flags & UInt16(NLM_F_DUMP_INTR) != 0 { complete = false }
                switch Int32(message.pointee.nlmsg_type) {
                case NLMSG_DONE:
                    done = true
                    return false
                case NLMSG_ERROR:
                    let answer = try Self.acknowledgement(in: message, attempt: attempt)
                    throw attempt.refused(errno: answer.errno, kernelMessage: answer.message)
                default:
                    body(message)
                    return true
                }
            }
        }
        return complete
    }

    private mutating func send(_ request: NetlinkRequest) throws(FloatingAddressError) -> UInt32 {
        sequence &+= 1
        let bytes = request.bytes(sequence: sequence)
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &kernel) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
        }
        guard sent == bytes.count else {
            throw attempt.systemCall("sendto(AF_NETLINK)", errno: sent < 0 ? errno : EMSGSIZE)
        }
        return sequence
    }

    /// Reads one datagram and hands its messages to `each` while it returns true.
    private func receiveBatch(
        _ each: (UnsafeMutablePointer<nlmsghdr>) throws(FloatingAddressError) -> Bool
    ) throws(FloatingAddressError) {
        var received: Int
        repeat {
            received = recv(descriptor, buffer.baseAddress, buffer.count, 0)
        } while received < 0 && errno == EINTR
        guard received >= 0 else {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK {
                throw attempt.unexpected("no answer within \(Self.answerTimeoutSeconds) s")
            }
            throw attempt.systemCall("recv(AF_NETLINK)", errno: code)
        }
        var remaining = Int32(received)
        var message = buffer.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)
        while caddress_nlmsg_ok(message, remaining) != 0 {
            guard try each(message) else { return }
            message = caddress_nlmsg_next(message, &remaining)
        }
    }

    /// The errno (positive; 0 for success) and extended-ack text of an NLMSG_ERROR message.
    private static func acknowledgement(
        in message: UnsafeMutablePointer<nlmsghdr>, attempt: AddressAttempt
    ) throws(FloatingAddressError) -> (errno: Int32, message: String?) {
        let headerLength = Int(caddress_nlmsg_hdrlen())
        let total = Int(message.pointee.nlmsg_len)
        guard total >= headerLength + MemoryLayout<nlmsgerr>.size else {
            throw attempt.unexpected("an acknowledgement of \(total) bytes is too short")
        }
        let data = UnsafeMutableRawPointer(caddress_nlmsg_data(message)!)
        let error = data.loadUnaligned(as: nlmsgerr.self)
        let code = -error.error
        guard message.pointee.nlmsg_flags & UInt16(NLM_F_ACK_TLVS) != 0 else { return (code, nil) }
        // The attributes follow the echoed request: its header alone when capped.
        var offset = MemoryLayout<Int32>.size
        if message.pointee.nlmsg_flags & UInt16(NLM_F_CAPPED) != 0 {
            offset += MemoryLayout<nlmsghdr>.size
        } else {
            offset += Int(caddress_nlmsg_align(error.msg.nlmsg_len))
        }
        var remaining = Int32(total - headerLength - offset)
        guard remaining > 0 else { return (code, nil) }
        var attribute = (data + offset).assumingMemoryBound(to: rtattr.self)
        while caddress_rta_ok(attribute, remaining) != 0 {
            if Int32(attribute.pointee.rta_type) == Int32(NLMSGERR_ATTR_MSG.rawValue) {
                let text = caddress_rta_data(attribute)!.assumingMemoryBound(to: CChar.self)
                let length = Int(caddress_rta_payload(attribute))
                let bytes = UnsafeRawBufferPointer(start: text, count: length).prefix { $0 != 0 }
                return (code, String(decoding: bytes, as: UTF8.self))
            }
            attribute = caddress_rta_next(attribute, &remaining)
        }
        return (code, nil)
    }
}
