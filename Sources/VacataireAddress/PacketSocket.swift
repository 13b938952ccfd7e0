import CAddress
import Glibc

/// An AF_PACKET socket bound to one interface, for one attempt: sends whole Ethernet frames
/// and, when opened for an EtherType, receives that type's frames seen on the interface
/// (ours going out included, marked so). Opening one needs CAP_NET_RAW. Closed when dropped.
struct PacketSocket: ~Copyable {
    static let networkRaw = "CAP_NET_RAW"

    /// A frame read from the interface.
    struct Frame {
        let bytes: [UInt8]
        /// The frame was sent by this host (PACKET_OUTGOING), not received.
        let outgoing: Bool
    }

    private let descriptor: Int32
    private let interface: NetworkInterface
    private let attempt: AddressAttempt

    /// Opens the socket and binds it to `interface`, receiving frames of `etherType` (nil:
    /// none, for a socket that only sends). It is opened with protocol 0 and bound with the
    /// EtherType so that no frame of another interface is queued in between.
    init(interface: NetworkInterface, receiving etherType: Int32?, for attempt: AddressAttempt) throws(FloatingAddressError) {
        descriptor = try Self.open(on: interface, receiving: etherType, for: attempt)
        self.interface = interface
        self.attempt = attempt
    }

    private static func open(
        on interface: NetworkInterface, receiving etherType: Int32?, for attempt: AddressAttempt
    ) throws(FloatingAddressError) -> Int32 {
        let opened = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard opened >= 0 else {
            throw attempt.systemCall("socket(AF_PACKET)", errno: errno, capability: networkRaw)
        }
        var local = sockaddr_ll()
        local.sll_family = UInt16(AF_PACKET)
        local.sll_protocol = UInt16(etherType ?? 0).bigEndian
        local.sll_ifindex = interface.index
        let bound = withUnsafePointer(to: &local) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(opened, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(opened)
            throw attempt.systemCall("bind(AF_PACKET)", errno: code, capability: networkRaw)
        }
        return opened
    }

    deinit {
        close(descriptor)
    }

    /// Sends a whole Ethernet frame (header included) out of the interface.
    func send(_ frame: [UInt8], etherType: Int32, to destination: HardwareAddress) throws(FloatingAddressError) {
        var remote = sockaddr_ll()
        remote.sll_family = UInt16(AF_PACKET)
        remote.sll_protocol = UInt16(etherType).bigEndian
        remote.sll_ifindex = interface.index
        remote.sll_halen = 6
        withUnsafeMutableBytes(of: &remote.sll_addr) { raw in
            for (index, byte) in destination.bytes.enumerated() { raw[index] = byte }
        }
        let sent = frame.withUnsafeBytes { raw in
            withUnsafePointer(to: &remote) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
                }
            }
        }
        guard sent == frame.count else {
            let code = sent < 0 ? errno : EMSGSIZE
            // ENETDOWN and ENXIO: the interface is down or gone; the errno says which.
            throw attempt.systemCall("sendto(AF_PACKET)", errno: code, capability: Self.networkRaw)
        }
    }

    /// The next frame, or nil once `deadline` has passed without one.
    func receive(before deadline: ContinuousClock.Instant) throws(FloatingAddressError) -> Frame? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return nil }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw attempt.systemCall("poll(AF_PACKET)", errno: errno)
            }
            guard ready > 0 else { continue }
            var from = sockaddr_ll()
            var fromLength = socklen_t(MemoryLayout<sockaddr_ll>.size)
            let received = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &from) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(descriptor, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, &fromLength)
                    }
                }
            }
            if received < 0 {
                if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
                throw attempt.systemCall("recvfrom(AF_PACKET)", errno: errno)
            }
            return Frame(bytes: Array(buffer.prefix(received)), outgoing: Int32(from.sll_pkttype) == PACKET_OUTGOING)
        }
    }
}
