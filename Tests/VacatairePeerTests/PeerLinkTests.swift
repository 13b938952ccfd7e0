#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import Synchronization
import XCTest
import VacataireCore
import VacataireTestSupport
@testable import VacatairePeer

/// The UDP peer link on 127.0.0.1 with real sockets: waits have timeouts, never fixed sleeps.
final class PeerLinkTests: XCTestCase {
    private let loopback = "127.0.0.1"

    func testTwoLinksExchangeHeartbeatsBothWays() async throws {
        let alphaPort = try FreePort.udp()
        let beta = try await openBeta(paths: [alphaPort])
        let alpha = try await openAlpha(listenPort: alphaPort, paths: [beta.localPort])
        XCTAssertEqual(alpha.localPort, alphaPort)
        let alphaInbox = Inbox.collecting(alpha)
        let betaInbox = Inbox.collecting(beta)

        await alpha.send(kind: .heartbeat, epoch: 4, payload: Self.alphaPayload)
        await beta.send(kind: .heartbeat, epoch: 4, payload: Self.betaPayload)

        try await eventually("a heartbeat each way") {
            let (atAlpha, atBeta) = (await alphaInbox.count, await betaInbox.count)
            return atAlpha == 1 && atBeta == 1
        }
        let alphaMessages = await alphaInbox.messages
        let betaMessages = await betaInbox.messages
        let atAlpha = try XCTUnwrap(alphaMessages.first)
        let atBeta = try XCTUnwrap(betaMessages.first)
        XCTAssertEqual(atAlpha.message.sender, "beta")
        XCTAssertEqual(atAlpha.message.kind, .heartbeat)
        XCTAssertEqual(atAlpha.message.payload, Self.betaPayload)
        XCTAssertEqual(atAlpha.path, 0)
        XCTAssertEqual(atAlpha.source.host, loopback)
        XCTAssertEqual(atBeta.message.sender, "alpha")
        XCTAssertEqual(atBeta.message.epoch, 4)
        XCTAssertEqual(atBeta.path, 0)

        let statistics = await alpha.statistics()
        XCTAssertEqual(statistics.datagramsSent, 1)
        XCTAssertEqual(statistics.datagramsReceived, 1)
        XCTAssertEqual(statistics.validation.accepted, 1)
        XCTAssertEqual(statistics.validation.totalRejected, 0)
        XCTAssertEqual(statistics.paths.map(\.sendFailures), [0])
        XCTAssertNotNil(statistics.paths.first?.lastValidMessageMilliseconds)
        await alpha.close()
        await beta.close()
    }

    func testAMessageArrivesOverTheLivePathAndTheDeadPathsFailureIsCounted() async throws {
        let alphaPort = try FreePort.udp()
        let deadPort = try FreePort.udp()
        let beta = try await openBeta(paths: [alphaPort])
        let alpha = try await openAlpha(listenPort: alphaPort, paths: [deadPort, beta.localPort])
        let betaInbox = Inbox.collecting(beta)

        await alpha.send(kind: .handoffRequest, epoch: 5, requestID: 88, payload: Self.alphaPayload)
        try await eventually("the request over the live path") { await betaInbox.count == 1 }
        let received = await betaInbox.messages
        let request = try XCTUnwrap(received.first)
        XCTAssertEqual(request.message.kind, .handoffRequest)
        XCTAssertEqual(request.message.requestID, 88)

        // The refusal (ICMP port unreachable) reaches the dead path's socket asynchronously;
        // heartbeats keep going meanwhile, as in the daemon.
        try await eventually("the dead path's failure") {
            await alpha.send(kind: .heartbeat, epoch: 5, payload: Self.alphaPayload)
            return await alpha.statistics().paths[0].sendFailures > 0
        }
        let statistics = await alpha.statistics()
        XCTAssertEqual(statistics.paths[0].address, PeerEndpoint(host: loopback, port: deadPort))
        XCTAssertNotNil(statistics.paths[0].lastFailure)
        XCTAssertEqual(statistics.paths[1].sendFailures, 0)
        XCTAssertGreaterThanOrEqual(statistics.paths[1].datagramsSent, 2)

        // The path keeps working for the live one after the failure.
        let before = await betaInbox.count
        await alpha.send(kind: .status, epoch: 5, payload: Self.alphaPayload)
        try await eventually("a message after the failure") { await betaInbox.messages.last?.message.kind == .status }
        let after = await betaInbox.count
        XCTAssertGreaterThan(after, before)
        await alpha.close()
        await beta.close()
    }

    func testInvalidDatagramsAreCountedByReasonAndNeverDelivered() async throws {
        let alphaPort = try FreePort.udp()
        let raw = try RawUDPSocket()
        // Beta sends on two paths: the raw socket captures the first copy (sequence 1),
        // alpha gets the second (sequence 2) and therefore must refuse the first as a replay.
        let beta = try await openBeta(paths: [raw.port, alphaPort])
        let alpha = try await openAlpha(listenPort: alphaPort, paths: [beta.localPort])
        let alphaInbox = Inbox.collecting(alpha)

        await beta.send(kind: .heartbeat, epoch: 2, payload: Self.betaPayload)
        let captured = try XCTUnwrap(raw.receive(), "the raw listener got no datagram")
        try await eventually("the genuine heartbeat") { await alphaInbox.count == 1 }

        let now = SystemClock().unixMilliseconds
        let otherKeyUnderID1 = PeerFixtures.keyring([PeerFixtures.key(1, fill: 0x99)], active: 1)
        let wrongKey = try PeerFixtures.encode(PeerFixtures.message(boot: 99, sequence: 1, sentAt: now), keyring: otherKeyUnderID1)
        let unknownKey = try PeerFixtures.encode(
            PeerFixtures.message(boot: 99, sequence: 1, sentAt: now), keyring: PeerFixtures.keyring([PeerFixtures.keyTwo], active: 2)
        )
        try raw.send(wrongKey, to: alphaPort)
        try raw.send(unknownKey, to: alphaPort)
        try raw.send(Array("GET / HTTP/1.0\r\n\r\n".utf8), to: alphaPort)
        try raw.send([UInt8](repeating: 0x56, count: 2_000), to: alphaPort)
        try raw.send(captured, to: alphaPort)

        try await eventually("five rejections") { await alpha.statistics().validation.totalRejected == 5 }
        let counters = await alpha.statistics().validation
        XCTAssertEqual(counters[.badMAC], 1)
        XCTAssertEqual(counters[.unknownKey], 1)
        XCTAssertEqual(counters[.badMagic], 1)
        XCTAssertEqual(counters[.oversized], 1)
        XCTAssertEqual(counters[.replayed], 1)
        XCTAssertEqual(counters.accepted, 1)

        // A genuine message sent after them is the next one delivered: none of them was.
        await beta.send(kind: .status, epoch: 2, payload: Self.betaPayload)
        try await eventually("the status after the rejected datagrams") { await alphaInbox.count == 2 }
        let delivered = await alphaInbox.messages
        XCTAssertEqual(delivered.map(\.message.kind), [.heartbeat, .status])
        XCTAssertEqual(delivered.map(\.message.sequence), [2, 4])
        let statistics = await alpha.statistics()
        XCTAssertEqual(statistics.datagramsReceived, 7)
        XCTAssertEqual(statistics.lastRejection?.reason, .replayed)
        await alpha.close()
        await beta.close()
    }

    func testAStateMachineMessageArrivesAsItWasSent() async throws {
        let alphaPort = try FreePort.udp()
        let beta = try await openBeta(paths: [alphaPort])
        let alpha = try await openAlpha(listenPort: alphaPort, paths: [beta.localPort])
        let betaInbox = Inbox.collecting(beta)
        let sent = FailoverMessage(kind: .handoffDone, epoch: 8, requestID: 41, role: .active, healthy: true)
        await alpha.send(sent, configuredRole: .master, detail: "started my service")
        try await eventually("the handoff-done") { await betaInbox.count == 1 }
        let messages = await betaInbox.messages
        let received = try XCTUnwrap(messages.first)
        XCTAssertEqual(try FailoverMessage(wire: received.message), sent)
        XCTAssertEqual(received.message.payload.detail, "started my service")
        await alpha.close()
        await beta.close()
    }

    func testCloseEndsIncoming() async throws {
        let alpha = try await openAlpha(listenPort: 0, paths: [try FreePort.udp()])
        XCTAssertNotEqual(alpha.localPort, 0)
        let inbox = Inbox.collecting(alpha)
        await alpha.close()
        try await eventually("the end of incoming") { await inbox.finished }
        // After close: nothing is sent, nothing crashes, closing again is harmless.
        await alpha.send(kind: .heartbeat, epoch: 1, payload: Self.alphaPayload)
        await alpha.close()
        let sent = await alpha.statistics().datagramsSent
        XCTAssertEqual(sent, 0)
    }

    /// A peer named by host name is resolved once, at open: the link sends to its address
    /// and knows the path its datagrams come over; a name nobody resolves is an error.
    func testPeerHostNamesAreResolvedAtOpen() async throws {
        XCTAssertEqual(try PeerEndpoint(host: "localhost", port: 7411).resolved().port, 7411)
        XCTAssertTrue(["127.0.0.1", "::1"].contains(try PeerEndpoint(host: "localhost", port: 7411).resolved().host))
        XCTAssertEqual(try PeerEndpoint(host: "192.0.2.7", port: 1).resolved(), PeerEndpoint(host: "192.0.2.7", port: 1))
        XCTAssertThrowsError(try PeerEndpoint(host: "peer.nowhere.invalid", port: 7411).resolved()) { error in
            XCTAssertTrue("\(error)".contains("cannot resolve the host of peer.nowhere.invalid:7411"), "\(error)")
        }
    }

    func testABusyListenPortIsAnError() async throws {
        let alpha = try await openAlpha(listenPort: 0, paths: [])
        do {
            _ = try await openBeta(listenPort: alpha.localPort, paths: [])
            XCTFail("a second link bound the same port")
        } catch {
            XCTAssertTrue(error.description.contains("\(alpha.localPort)"), error.description)
        }
        await alpha.close()
    }

    func testReplacedKeyringSignsWithTheNewActiveKey() async throws {
        let alphaPort = try FreePort.udp()
        let beta = try await openBeta(paths: [alphaPort])
        let alpha = try await openAlpha(listenPort: alphaPort, paths: [beta.localPort])
        let alphaInbox = Inbox.collecting(alpha)
        // Rotation step 1 on alpha only: alpha accepts both, beta still signs with key 1.
        await alpha.replaceKeyring(PeerFixtures.keyring([PeerFixtures.keyOne, PeerFixtures.keyTwo], active: 1))
        await beta.replaceKeyring(PeerFixtures.keyring([PeerFixtures.keyOne, PeerFixtures.keyTwo], active: 2))
        await beta.send(kind: .heartbeat, epoch: 1, payload: Self.betaPayload)
        try await eventually("a heartbeat signed with key 2") { await alphaInbox.count == 1 }
        let byKey = await alpha.statistics().validation.acceptedByKey
        XCTAssertEqual(byKey, [2: 1])
        await alpha.close()
        await beta.close()
    }

    // MARK: - Fixtures

    /// Each rejection reaches the log (rate-limited by `PeerRejectionLog`),
    /// with its reason and source.
    func testRejectedDatagramsAreLoggedWithTheirSourceAndReason() async throws {
        let lines = Mutex<[String]>([])
        let alpha = Self.running(try await PeerLink.open(
            listen: PeerEndpoint(host: loopback, port: 0), peerAddresses: [],
            sender: PeerSender(identity: PeerFixtures.alpha, bootID: 3, keyring: PeerFixtures.ringOne),
            validator: PeerMessageValidator(identity: PeerFixtures.alpha, peers: ["beta"], keyring: PeerFixtures.ringOne),
            rejectionLog: { line in lines.withLock { $0.append(line) } }
        ))
        let raw = try RawUDPSocket()
        for _ in 0..<100 {
            try raw.send(Array("GET / HTTP/1.0\r\n\r\n".utf8), to: alpha.localPort)
        }
        try await eventually("a hundred rejections") { await alpha.statistics().validation.totalRejected == 100 }
        let logged = lines.withLock { $0 }
        XCTAssertEqual(logged.count, 1, "one line now, the rest summed up later: \(logged)")
        XCTAssertTrue(logged.first?.contains("peer datagram rejected (bad-magic)") ?? false, "\(logged)")
        XCTAssertTrue(logged.first?.contains("from 127.0.0.1:\(raw.port)") ?? false, "\(logged)")
        await alpha.close()
    }

    /// A heartbeat that nothing follows in time (the agent is late) is repeated twice, 1.25
    /// and 2.25 heartbeat intervals after it, with its own sequence numbers and the same
    /// content; then the link falls silent, as a stuck agent must.
    func testAHeartbeatNothingFollowsIsRepeatedTwiceThenSilence() async throws {
        let alphaPort = try FreePort.udp()
        let beta = try await openBeta(paths: [alphaPort])
        let alpha = try await openAlpha(listenPort: alphaPort, paths: [beta.localPort])
        let betaInbox = Inbox.collecting(beta)

        await alpha.send(kind: .heartbeat, epoch: 4, payload: Self.alphaPayload, refill: HeartbeatRefill(interval: .milliseconds(50)))
        try await eventually("the heartbeat and its two copies") {
            let (copies, count) = (await alpha.statistics().heartbeatCopiesSent, await betaInbox.count)
            return copies == 2 && count == 3
        }
        let received = await betaInbox.messages
        XCTAssertEqual(received.map(\.message.sequence), [1, 2, 3])
        XCTAssertEqual(Set(received.map(\.message.payload)), [Self.alphaPayload])
        XCTAssertEqual(Set(received.map(\.message.kind)), [.heartbeat])
        let statistics = await alpha.statistics()
        XCTAssertEqual(statistics.datagramsSent, 1, "the copies are counted apart")
        await alpha.close()
        await beta.close()
    }

    /// The copies are the watchdog's, not the loop's: while the loop the link's sockets live
    /// on is stalled (the agent's loop, busy for a moment), the heartbeat's two copies still
    /// reach the peer, from the watchdog's thread and sockets.
    func testTheCopiesGoOutWhileTheLinksLoopIsStalled() async throws {
        let alphaPort = try FreePort.udp()
        let beta = try await openBeta(paths: [alphaPort])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let alpha = try await openAlpha(listenPort: alphaPort, paths: [beta.localPort], group: group)
        let betaInbox = Inbox.collecting(beta)

        await alpha.send(kind: .heartbeat, epoch: 4, payload: Self.alphaPayload, refill: HeartbeatRefill(interval: .milliseconds(50)))
        let stalled = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        group.next().execute {
            stalled.signal()
            _ = release.wait(timeout: .now() + 10)
        }
        stalled.wait()
        try await eventually("the heartbeat and its two copies, the loop stalled") {
            let (copies, count) = (await alpha.statistics().heartbeatCopiesSent, await betaInbox.count)
            return copies == 2 && count == 3
        }
        release.signal()
        let received = await betaInbox.messages
        XCTAssertEqual(received.map(\.message.sequence), [1, 2, 3])
        XCTAssertEqual(Set(received.map(\.message.payload)), [Self.alphaPayload])
        await alpha.close()
        await beta.close()
        try await group.shutdownGracefully()
    }

    /// Anything sent after a heartbeat drops its copies, which are sealed only when due (no
    /// sequence number is used up for a copy never sent): only the last heartbeat's go out.
    func testAMessageAfterAHeartbeatDropsItsCopies() async throws {
        let alphaPort = try FreePort.udp()
        let beta = try await openBeta(paths: [alphaPort])
        // Copies at 0.5 s and 0.9 s: the next send comes long before.
        let alpha = try await openAlpha(listenPort: alphaPort, paths: [beta.localPort])
        let betaInbox = Inbox.collecting(beta)
        let refill = HeartbeatRefill(interval: .milliseconds(400))

        await alpha.send(kind: .heartbeat, epoch: 4, payload: Self.alphaPayload, refill: refill)  // sequence 1, its copies dropped
        await alpha.send(kind: .status, epoch: 4, payload: Self.alphaPayload)  // 2
        await alpha.send(kind: .heartbeat, epoch: 4, payload: Self.alphaPayload, refill: refill)  // 3, then copies 4 and 5
        try await eventually("the last heartbeat's copies") {
            let (copies, count) = (await alpha.statistics().heartbeatCopiesSent, await betaInbox.count)
            return copies == 2 && count == 5
        }
        let received = await betaInbox.messages
        XCTAssertEqual(received.map(\.message.sequence), [1, 2, 3, 4, 5])
        await alpha.close()
        await beta.close()
    }

    static let alphaPayload = PeerPayload(role: "master", state: "active", healthy: true)
    static let betaPayload = PeerPayload(role: "standby", state: "standby", healthy: true)

    /// The link with its `run()` going, as its owner (the agent) runs it.
    private static func running(_ link: PeerLink) -> PeerLink {
        Task { await link.run() }
        return link
    }

    private func openAlpha(
        listenPort: Int, paths: [Int], group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(PeerLinkError) -> PeerLink {
        Self.running(try await PeerLink.open(
            listen: PeerEndpoint(host: loopback, port: listenPort),
            peerAddresses: paths.map { PeerEndpoint(host: loopback, port: $0) },
            sender: PeerSender(identity: PeerFixtures.alpha, bootID: 3, keyring: PeerFixtures.ringOne),
            validator: PeerMessageValidator(identity: PeerFixtures.alpha, peers: ["beta"], keyring: PeerFixtures.ringOne),
            eventLoopGroup: group
        ))
    }

    private func openBeta(listenPort: Int = 0, paths: [Int]) async throws(PeerLinkError) -> PeerLink {
        Self.running(try await PeerLink.open(
            listen: PeerEndpoint(host: loopback, port: listenPort),
            peerAddresses: paths.map { PeerEndpoint(host: loopback, port: $0) },
            sender: PeerSender(identity: PeerFixtures.beta, bootID: 7, keyring: PeerFixtures.ringOne),
            validator: PeerMessageValidator(identity: PeerFixtures.beta, peers: ["alpha"], keyring: PeerFixtures.ringOne)
        ))
    }

    /// Polls `condition` every few milliseconds until it holds; fails after `timeout`.
    private func eventually(
        _ what: String, timeout: Duration = .seconds(5), file: StaticString = #filePath, line: UInt = #line,
        _ condition: () async -> Bool
    ) async throws {
        guard await Wait.until(timeout: timeout.seconds, every: 0.005, condition) else {
            XCTFail("timed out after \(timeout) waiting for \(what)", file: file, line: line)
            throw CancellationError()
        }
    }
}

/// What a link's `incoming` delivered, collected by a task.
private actor Inbox {
    private(set) var messages: [ReceivedPeerMessage] = []
    private(set) var finished = false

    var count: Int { messages.count }

    static func collecting(_ link: PeerLink) -> Inbox {
        let inbox = Inbox()
        Task {
            for await message in link.incoming {
                await inbox.append(message)
            }
            await inbox.finish()
        }
        return inbox
    }

    private func append(_ message: ReceivedPeerMessage) { messages.append(message) }
    private func finish() { finished = true }
}

/// A plain UDP socket on 127.0.0.1, to send arbitrary bytes and capture datagrams.
private final class RawUDPSocket {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawSocketError("socket: errno \(errno)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw RawSocketError("bind: errno \(errno)")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8], to port: Int) throws {
        var address = Self.loopback(port: port)
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, target, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard sent == bytes.count else { throw RawSocketError("sendto: errno \(errno)") }
    }

    /// The next datagram, or nil after 5 seconds.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 2_048)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[0..<count]) : nil
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}

private struct RawSocketError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
