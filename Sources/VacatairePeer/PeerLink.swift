import Foundation
import Synchronization
import VacataireCore
import NIOCore
import NIOPosix

/// The UDP link to the peer: one listening socket, and one socket per configured path
/// (peer address) that every message is sent on.
///
/// It owns the `PeerSender` (sequence numbers) and the `PeerMessageValidator` (replay window,
/// counters): every datagram received goes through `validate`, and only valid messages come
/// out of `incoming`, with the path they came over. `send` seals the message once per path
/// (each copy has its own sequence number) and sends it on every path; a failure on one path
/// is counted in `statistics()` and never stops the others, and never reaches the caller.
///
/// Each path has its own UDP socket connected to the peer address, so that the kernel
/// reports "connection refused" (the peer host answered but nothing listens) and "no route"
/// per path; a path socket that NIO closed after such an error is reopened on the next send.
/// The peer sees these datagrams come from an ephemeral port, not from the listening port.
///
/// Run `run()` as a child task of the link's owner (it reads what the sockets report and
/// feeds `incoming`); call `close()` when done: it closes the sockets, and `run()` ends
/// `incoming` once it has handled what was already read.
public actor PeerLink {
    /// How many valid messages `incoming` buffers for a slow reader; beyond, the oldest
    /// are dropped and counted (`PeerLinkStatistics.undelivered`).
    public static let incomingBufferSize = 256

    /// Valid messages, in the order received; ends after `close()`.
    public nonisolated let incoming: AsyncStream<ReceivedPeerMessage>
    /// The port the listening socket is bound to (the configured one, or the ephemeral one
    /// the kernel chose for port 0).
    public nonisolated let localPort: Int

    private enum State {
        case open
        case closed
    }

    /// A path's socket: not opened (or lost), being opened, or open.
    private enum PathSocket {
        case down
        case opening(EventLoopFuture<any Channel>)
        case open(any Channel)
    }

    private struct Path {
        let address: PeerEndpoint
        /// The resolved peer address, to tell which path a datagram came over.
        var remote: SocketAddress?
        var socket: PathSocket = .down
    }

    private var state = State.open
    /// Shared with the heartbeat copies, sealed on the watchdog's thread when due.
    private let sender: SharedPeerSender
    /// Sends the last heartbeat's copies when nothing follows it in time.
    private let watchdog: HeartbeatWatchdog
    private var validator: PeerMessageValidator
    private var counts = PeerLinkStatistics()
    /// Each path's sends and failures, under a lock of their own: a write's completion
    /// reports them from the channel's loop, without a hop back into the actor.
    private nonisolated let pathSends: Mutex<[PathSends]>

    private struct PathSends {
        var sent: UInt64 = 0
        var failures: UInt64 = 0
        var lastFailure: String?
    }
    private var paths: [Path]
    private let listenChannel: any Channel
    private let group: any EventLoopGroup
    private let clock: @Sendable () -> UInt64
    private let incomingContinuation: AsyncStream<ReceivedPeerMessage>.Continuation
    private let events: AsyncStream<PeerSocketEvent>
    private let eventsContinuation: AsyncStream<PeerSocketEvent>.Continuation
    /// Where rejected datagrams are described, rate-limited by `rejections`.
    private let log: (@Sendable (String) -> Void)?
    private var rejections = PeerRejectionLog()
    /// Told what an operator must fix when the peer's own datagrams are refused (`PeerRejection.hint`).
    private let hint: (@Sendable (String) -> Void)?

    /// Binds the listening socket, opens one socket per peer address and starts receiving.
    ///
    /// A listening socket that cannot be bound, or a peer host name the resolver does not
    /// know, is an error; a path that cannot be opened now is counted and retried on each
    /// send. Names are resolved once, here.
    public static func open(
        listen: PeerEndpoint, peerAddresses: [PeerEndpoint], sender: PeerSender,
        validator: PeerMessageValidator, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        clock: any AgentClock = SystemClock(),
        rejectionLog: (@Sendable (String) -> Void)? = nil,
        refusalHint: (@Sendable (String) -> Void)? = nil
    ) async throws(PeerLinkError) -> PeerLink {
        var resolved: [PeerEndpoint] = []
        for address in peerAddresses { resolved.append(try address.resolved()) }
        let (events, eventsContinuation) = AsyncStream.makeStream(of: PeerSocketEvent.self)
        let channel: any Channel
        do {
            channel = try await bootstrap(eventLoopGroup, path: nil, report: eventsContinuation)
                .bind(host: listen.host, port: listen.port).get()
        } catch {
            eventsContinuation.finish()
            throw .cannotListen(listen, reason: PeerDatagramHandler.describe(error))
        }
        let link = PeerLink(
            listenChannel: channel, peerAddresses: resolved, sender: sender, validator: validator,
            group: eventLoopGroup, clock: { clock.unixMilliseconds }, events: (events, eventsContinuation), log: rejectionLog,
            hint: refusalHint
        )
        await link.start()
        return link
    }

    private init(
        listenChannel: any Channel, peerAddresses: [PeerEndpoint], sender: PeerSender,
        validator: PeerMessageValidator, group: any EventLoopGroup, clock: @escaping @Sendable () -> UInt64,
        events: (AsyncStream<PeerSocketEvent>, AsyncStream<PeerSocketEvent>.Continuation),
        log: (@Sendable (String) -> Void)?, hint: (@Sendable (String) -> Void)?
    ) {
        self.log = log
        self.hint = hint
        self.listenChannel = listenChannel
        self.localPort = listenChannel.localAddress?.port ?? 0
        self.paths = peerAddresses.map { Path(address: $0, remote: try? SocketAddress(ipAddress: $0.host, port: $0.port)) }
        self.watchdog = HeartbeatWatchdog(remotes: paths.map(\.remote))
        self.counts.paths = peerAddresses.map(PeerPathStatistics.init(address:))
        self.pathSends = Mutex(Array(repeating: PathSends(), count: peerAddresses.count))
        self.sender = SharedPeerSender(sender)
        self.validator = validator
        self.group = group
        self.clock = clock
        (self.events, self.eventsContinuation) = events
        (self.incoming, self.incomingContinuation) = AsyncStream.makeStream(
            of: ReceivedPeerMessage.self, bufferingPolicy: .bufferingOldest(Self.incomingBufferSize)
        )
    }

    private func start() async {
        for index in paths.indices {
            _ = await pathChannel(index)
        }
    }

    /// Handles what the sockets report, in order, until `close()` (or until the task is
    /// cancelled): each datagram is validated and the valid messages go to `incoming`,
    /// which ends when this returns. What arrives before it runs waits for it.
    public func run() async {
        for await event in events {
            handle(event)
        }
        incomingContinuation.finish()
    }

    /// Seals the message once per path (own sequence number each) and sends it on every
    /// path. Failures are counted in `statistics()`, never thrown. With `refill` (a
    /// heartbeat), the copies the machine asked for follow if nothing else is sent in time
    /// (`HeartbeatWatchdog`); anything sent drops the copies still pending.
    public func send(
        kind: PeerMessageKind, epoch: UInt64, requestID: UInt64? = nil, payload: PeerPayload, refill: HeartbeatRefill? = nil
    ) async {
        flushRejections()
        guard case .open = state else { return }
        if let refill {
            let (sender, clock) = (sender, clock)
            watchdog.plan(refill) {
                try? sender.seal(kind, epoch: epoch, payload: payload, requestID: requestID, now: clock())
            }
        } else {
            watchdog.drop()
        }
        var writes: [(path: Int, done: EventLoopFuture<Void>)] = []
        for index in paths.indices {
            guard case .open = state, let channel = await pathChannel(index) else { continue }
            let datagram: [UInt8]
            do {
                datagram = try sender.seal(kind, epoch: epoch, payload: payload, requestID: requestID, now: clock())
            } catch {
                // The same message fails on every path: nothing is sent.
                counts.sealFailures += 1
                counts.lastSealFailure = error
                break
            }
            // On the agent's loop (the link's actor runs there), the write is done in this
            // turn, and its completion is counted where it happens; from elsewhere (a test's
            // pool), it hops to the channel's loop, and `send` waits for it.
            if channel.eventLoop.inEventLoop {
                channel.writeAndFlush(ByteBuffer(bytes: datagram)).whenComplete { [self] in recordWrite(path: index, $0) }
            } else {
                let promise = channel.eventLoop.makePromise(of: Void.self)
                channel.eventLoop.execute { channel.writeAndFlush(ByteBuffer(bytes: datagram), promise: promise) }
                writes.append((index, promise.futureResult))
            }
        }
        for write in writes {
            let result: Result<Void, any Error>
            do {
                result = .success(try await write.done.get())
            } catch {
                result = .failure(error)
            }
            recordWrite(path: write.path, result)
        }
    }

    private nonisolated func recordWrite(path: Int, _ result: Result<Void, any Error>) {
        switch result {
        case .success:
            pathSends.withLock { $0[path].sent += 1 }
        case .failure(let error):
            countFailure(path: path, PeerDatagramHandler.describe(error))
        }
    }

    /// Sends each message of `messages`, in order, until the stream ends (the agent's queue
    /// of outgoing messages). The loop runs on the link's isolation, so that a message
    /// costs one resumption of this task and no hop into the link and back.
    public func sendEach(_ messages: AsyncStream<PeerOutgoingMessage>) async {
        for await message in messages {
            await send(kind: message.kind, epoch: message.epoch, requestID: message.requestID, payload: message.payload, refill: message.refill)
        }
    }

    /// Counters so far: datagrams, per-path failures, the validator's accepted and rejected.
    public func statistics() -> PeerLinkStatistics {
        var snapshot = counts
        pathSends.withLock { sends in
            for (index, path) in sends.enumerated() {
                snapshot.paths[index].datagramsSent = path.sent
                snapshot.paths[index].sendFailures = path.failures
                snapshot.paths[index].lastFailure = path.lastFailure
                snapshot.datagramsSent += path.sent
            }
        }
        snapshot.validation = validator.counters
        snapshot.heartbeatCopiesSent = watchdog.copiesSent
        return snapshot
    }

    /// Signs and verifies with new keys from now on (SIGHUP); counters and replay window stay.
    public func replaceKeyring(_ keyring: PeerKeyring) {
        sender.replaceKeyring(keyring)
        validator.replaceKeyring(keyring)
    }

    /// Closes every socket; `run()` then handles the datagrams already read, ends
    /// `incoming` and returns.
    public func close() async {
        guard case .open = state else { return }
        state = .closed
        watchdog.stop()
        try? await listenChannel.close()
        for index in paths.indices {
            switch paths[index].socket {
            case .open(let channel):
                try? await channel.close()
            case .opening(let connecting):
                // The opener sees `closed` and closes it too; closing twice is harmless.
                try? await connecting.get().close()
            case .down:
                break
            }
            paths[index].socket = .down
        }
        eventsContinuation.finish()
    }

    // MARK: - Receiving

    private func handle(_ event: PeerSocketEvent) {
        switch event {
        case let .error(text, path):
            if let path {
                countFailure(path: path, text)
            } else {
                counts.receiveErrors += 1
            }
        case let .datagram(buffer, source, _):
            counts.datagramsReceived += 1
            guard buffer.readableBytes <= PeerMessageLimits.maximumDatagramBytes else {
                let rejection = validator.rejectOversized()
                counts.lastRejection = rejection
                describe(rejection, from: source)
                return
            }
            let now = clock()
            do {
                let message = try validator.validate(Array(buffer.readableBytesView), now: now)
                let path = pathIndex(of: source)
                if let path {
                    counts.paths[path].lastValidMessageMilliseconds = now
                }
                let received = ReceivedPeerMessage(message: message, source: PeerEndpoint(source), path: path)
                if case .dropped = incomingContinuation.yield(received) {
                    counts.undelivered += 1
                }
            } catch {
                counts.lastRejection = error
                describe(error, from: source)
                // Only for datagrams from a peer's address: anyone can send a bad tag.
                if let text = error.hint, let hint, isPeerAddress(source) { hint(text) }
            }
        }
    }

    /// Whether `source` is one of the peer's configured addresses (any port: the peer sends
    /// from ephemeral ones).
    private func isPeerAddress(_ source: SocketAddress) -> Bool {
        guard let address = source.ipAddress else { return false }
        return paths.contains { $0.remote?.ipAddress == address }
    }

    private func describe(_ rejection: PeerRejection, from source: SocketAddress) {
        guard let log else { return }
        let from = source.ipAddress.map { "\($0):\(source.port ?? 0)" } ?? "\(source)"
        for line in rejections.record(rejection, from: from, now: clock()) {
            log(line)
        }
    }

    /// Logs the summary of rejected datagrams if its interval is over (called on each send).
    private func flushRejections() {
        guard let log else { return }
        for line in rejections.flush(now: clock()) {
            log(line)
        }
    }

    /// The path whose peer address is `source`'s: the only one with its IP address, or the
    /// only one with its address and port; nil otherwise.
    private func pathIndex(of source: SocketAddress) -> Int? {
        guard let address = source.ipAddress else { return nil }
        let sameAddress = paths.indices.filter { paths[$0].remote?.ipAddress == address }
        if sameAddress.count == 1 {
            return sameAddress.first
        }
        let samePort = sameAddress.filter { paths[$0].remote?.port == source.port }
        return samePort.count == 1 ? samePort.first : nil
    }

    // MARK: - Path sockets

    /// The path's open socket, opening it first if needed; nil (failure counted) if it
    /// cannot be opened now.
    private func pathChannel(_ index: Int) async -> (any Channel)? {
        let opening: EventLoopFuture<any Channel>
        switch paths[index].socket {
        case .open(let channel) where channel.isActive:
            return channel
        case .opening(let connecting):
            // Another send is opening it and counts its failure.
            return try? await connecting.get()
        case .open, .down:
            let address = paths[index].address
            opening = Self.bootstrap(group, path: index, report: eventsContinuation).connect(host: address.host, port: address.port)
            paths[index].socket = .opening(opening)
        }
        do {
            let channel = try await opening.get()
            guard case .open = state else {
                try? await channel.close()
                return nil
            }
            paths[index].socket = .open(channel)
            paths[index].remote = channel.remoteAddress ?? paths[index].remote
            return channel
        } catch {
            if case .open = state {
                paths[index].socket = .down
            }
            countFailure(path: index, PeerDatagramHandler.describe(error))
            return nil
        }
    }

    private nonisolated func countFailure(path: Int, _ text: String) {
        pathSends.withLock { sends in
            sends[path].failures += 1
            sends[path].lastFailure = text
        }
    }

    /// A UDP socket that reads whole datagrams of up to one byte more than the protocol's
    /// limit (so a longer one is seen as too long without being read) and reports to `report`.
    private static func bootstrap(
        _ group: any EventLoopGroup, path: Int?, report: AsyncStream<PeerSocketEvent>.Continuation
    ) -> DatagramBootstrap {
        DatagramBootstrap(group: group)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: PeerMessageLimits.maximumDatagramBytes + 1))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = PeerDatagramHandler(path: path) { event in report.yield(event) }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
    }
}

/// Why the peer link could not start.
public enum PeerLinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The listening socket could not be bound (address in use, not an address of this host).
    case cannotListen(PeerEndpoint, reason: String)
    /// A peer address names a host the resolver does not know.
    case cannotResolve(PeerEndpoint, reason: String)

    public var description: String {
        switch self {
        case let .cannotListen(endpoint, reason):
            return "cannot listen for the peer on UDP \(endpoint): \(reason); check `failover.listen` and that no other process uses the port"
        case let .cannotResolve(endpoint, reason):
            return "failover.peer.addresses: cannot resolve the host of \(endpoint) (\(reason)); give an IP address, or a name /etc/hosts or DNS answers on this node"
        }
    }
}
