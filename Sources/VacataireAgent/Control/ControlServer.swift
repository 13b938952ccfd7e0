import Foundation
import Logging
import NIOCore
import NIOPosix
import VacataireCore

/// The daemon's end of the control socket: a Unix socket (SwiftNIO), one JSON request line
/// per connection, answered by the agent. The caller is known from SO_PEERCRED, never from
/// anything it writes. A client may half-close after its request and still gets the reply;
/// at most `DescriptorBudget.listenerCapacity()` connections are held (`ConnectionSlots`),
/// and a request must arrive within `requestTimeout`.
final class ControlServer: Sendable {
    private let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let accepted: AcceptedConnections<ByteBuffer, ByteBuffer>
    private let config: ControlConfig
    private let agent: FailoverAgent
    private let logger: Logger
    /// How many connections it holds (the idle ones closed first when full).
    let slots: ConnectionSlots
    /// How long a client may take to send its request line.
    static let requestTimeout = TimeAmount.seconds(5)

    /// Binds the socket (refusing one another agent still answers on), sets its mode and group.
    static func bind(_ config: ControlConfig, agent: FailoverAgent, logger: Logger) async throws -> ControlServer {
        let path = config.socket
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        } catch {
            throw ControlSocketUnavailable(description: "cannot create the control socket's directory \(directory): \(error.localizedDescription)")
        }
        if FileManager.default.fileExists(atPath: path) {
            if ControlServer.answers(path) {
                throw AgentStartError("another agent answers on the control socket \(path); stop it first, or set control.socket")
            }
        }
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        let slots = ConnectionSlots(capacity: DescriptorBudget.listenerCapacity(), requestTimeout: requestTimeout)
        let accepted = AcceptedConnections<ByteBuffer, ByteBuffer>()
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                // A client may shut its sending side after the request and still read the reply.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        slots.admit(channel)
                        return try accepted.wrap(channel)
                    }
                }
        } catch {
            throw ControlSocketUnavailable(description: "cannot listen on the control socket \(path): \(error)")
        }
        var gid: gid_t = 0
        if let group = config.group, let entry = getgrnam(group) {
            gid = entry.pointee.gr_gid
        }
        guard chmod(path, mode_t(config.mode)) == 0, chown(path, 0, config.group == nil ? getgid() : gid) == 0 else {
            let why = String(cString: strerror(errno))
            try? await server.channel.close()
            throw ControlSocketUnavailable(description: "cannot set the mode or group of \(path): \(why)")
        }
        return ControlServer(server: server, accepted: accepted, config: config, agent: agent, logger: logger, slots: slots)
    }

    /// The control socket cannot be opened where the configuration puts it (a read-only
    /// state directory holding it, say). The agent runs on without it, since its peer must
    /// still hear it and its service must still be stopped if need be; the log says why.
    struct ControlSocketUnavailable: Error, CustomStringConvertible {
        var description: String
    }

    private init(
        server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>, accepted: AcceptedConnections<ByteBuffer, ByteBuffer>,
        config: ControlConfig, agent: FailoverAgent, logger: Logger, slots: ConnectionSlots
    ) {
        self.server = server
        self.accepted = accepted
        self.slots = slots
        self.config = config
        self.agent = agent
        self.logger = logger
    }

    /// Serves connections until the task is cancelled, then removes the socket file.
    func run() async {
        await acceptConnections(server, accepted: accepted, what: "control socket \(config.socket)", logger: logger) { await self.serve($0) }
        unlink(config.socket)
    }

    func close() async {
        try? await server.channel.close()
    }

    /// Stops accepting (graceful shutdown): `run()` then serves the connections already
    /// accepted and returns. Never cancel `run()` instead: a connection accepted but not
    /// yet taken from the listener would be dropped unfinished, which NIO traps on.
    func stopAccepting() {
        server.channel.close(promise: nil)
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let caller = await self.caller(of: connection.channel)
        do {
            try await connection.executeThenClose { inbound, _ in
                let reply: ControlReply
                switch try await Self.readLine(inbound) {
                case .line(let bytes):
                    slots.answering(connection.channel)
                    if let request = try? JSONDecoder.control.decode(ControlRequest.self, from: Data(bytes)) {
                        reply = await agent.handle(request, from: caller)
                    } else {
                        reply = ControlReply(outcome: .denied, message: "not a control request (expected one JSON object per line; see Docs/cli.md)")
                    }
                case .tooLong:
                    reply = ControlReply(outcome: .denied, message: "request longer than \(ControlProtocol.maximumRequestBytes) bytes")
                case .closed:
                    return
                }
                var data = (try? JSONEncoder.control.encode(reply)) ?? Data()
                data.append(0x0A)
                try await connection.writeReply([ByteBuffer(bytes: data)])
            }
        } catch {
            logger.debug("control connection from \(caller.name) ended: \(error)")
        }
    }

    private enum Line {
        case line([UInt8])
        case tooLong
        case closed
    }

    private static func readLine(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async throws -> Line {
        var bytes: [UInt8] = []
        for try await var buffer in inbound {
            let chunk = buffer.readBytes(length: buffer.readableBytes) ?? []
            if let newline = chunk.firstIndex(of: 0x0A) {
                bytes += chunk[..<newline]
                return bytes.count > ControlProtocol.maximumRequestBytes ? .tooLong : .line(bytes)
            }
            bytes += chunk
            if bytes.count > ControlProtocol.maximumRequestBytes { return .tooLong }
        }
        return bytes.isEmpty ? .closed : .line(bytes)
    }

    /// The connecting process's user, from the kernel (SO_PEERCRED).
    private func caller(of channel: any Channel) async -> ControlCaller {
        var uid: uid_t = .max
        var gid: gid_t = .max
        if let provider = channel as? any SocketOptionProvider,
           let credentials: PeerCredentials = try? await provider.unsafeGetSocketOption(
               level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
           ).get() {
            uid = credentials.uid
            gid = credentials.gid
        }
        let name = UserDirectory.name(of: uid)
        return ControlCaller(uid: uid, name: name, mayChange: uid == 0 || UserDirectory.isMember(uid: uid, gid: gid, of: config.group))
    }

    /// Whether something accepts connections on the Unix socket at `path`.
    static func answers(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { Glibc.close(descriptor) }
        return connectUnixSocket(descriptor, to: path) == 0
    }
}

/// Linux's `struct ucred` (pid, uid, gid), which Glibc only declares under _GNU_SOURCE.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// User and group lookups for the control socket's permission check.
enum UserDirectory {
    static func name(of uid: uid_t) -> String {
        guard uid != .max else { return "unknown user" }
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return "uid \(uid)"
    }

    /// Whether the user is in `group`: as primary group or as a listed member.
    static func isMember(uid: uid_t, gid: gid_t, of group: String?) -> Bool {
        guard let group, let entry = getgrnam(group) else { return false }
        let groupID = entry.pointee.gr_gid
        if gid == groupID { return true }
        if let user = getpwuid(uid) {
            if user.pointee.pw_gid == groupID { return true }
            let name = String(cString: user.pointee.pw_name)
            var member = entry.pointee.gr_mem
            while let pointer = member?.pointee {
                if String(cString: pointer) == name { return true }
                member = member?.advanced(by: 1)
            }
        }
        return false
    }
}
