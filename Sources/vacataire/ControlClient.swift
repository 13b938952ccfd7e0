import ArgumentParser
import Foundation
import VacataireAgent
import VacataireCore

/// Where to find the daemon: its control socket, given or read from the configuration.
struct DaemonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file; its `control.socket` is used.", valueName: "FILE"))
    var config: String = VacataireCommand.installedConfig

    @Option(name: .long, help: ArgumentHelp("The control socket, instead of the configuration's.", valueName: "PATH"))
    var socket: String?

    /// The socket path, or exit 1 with the configuration's errors.
    func socketPath() throws -> String {
        if let socket { return socket }
        do {
            return try Config.load(path: config).control.socket
        } catch {
            StandardError.print(error.description)
            StandardError.print("(or give the socket with --socket PATH)")
            throw ExitCode(.failed)
        }
    }

    /// Sends `request` and returns the reply, or exits 3 saying plainly why the daemon
    /// could not be reached.
    func send(_ request: ControlRequest) throws -> ControlReply {
        let path = try socketPath()
        do {
            return try ControlClient.exchange(request, socket: path, timeout: ControlClient.replyDeadline(for: request))
        } catch let error as ControlClient.Failure {
            StandardError.print(error.description)
            throw ExitCode(.daemonUnreachable)
        }
    }
}

/// The CLI's end of the control socket: one request line out, one reply line back.
enum ControlClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// How long the whole exchange may take, in seconds: a reply to a read (status, events)
    /// is due at once; a change the daemon waits for (failback, switchover, notify-test) gets
    /// its wait (60 s when none is given) and 10 s more.
    static func replyDeadline(for request: ControlRequest) -> Double {
        switch request.command {
        case .failback, .switchover, .notifyTest, .doctor:
            return (request.waitSeconds ?? 60) + 10
        case .drill:
            // Two legs (three when one must be put back), each the time of a switchover.
            return request.dryRun == true ? 10 : (request.waitSeconds ?? ControlRequest.maximumWaitSeconds) + 10
        case .status, .events, .maintenance, .ack, .ready:
            return (request.waitSeconds ?? 0) + 10
        }
    }

    /// One request and its reply within `timeout` seconds in all: a daemon that accepts and
    /// never answers, or answers a byte at a time, ends the command with exit 3.
    static func exchange(_ request: ControlRequest, socket path: String, timeout: Double) throws -> ControlReply {
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "cannot create a socket: \(errorText())") }
        defer { close(descriptor) }
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        // A listener whose queue is full keeps connect() and write() waiting: bound both.
        var seconds = timeval(tv_sec: Int(timeout.rounded(.up)), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
        let failure = connectUnixSocket(descriptor, to: path)
        guard failure == 0 else {
            switch failure {
            case ENOENT, ECONNREFUSED:
                throw Failure(description: "the vacataire daemon is not running (nothing listens on \(path)); start it with `systemctl start vacataire` or `vacataire run`")
            case EACCES, EPERM:
                throw Failure(description: "permission denied on \(path): you are not in the group allowed to use the control socket (control.group), or not root")
            case EAGAIN, ETIMEDOUT:
                throw Failure(description: "the daemon does not accept connections on \(path) within \(Int(timeout)) s (its queue is full: is it stuck?)")
            case ENAMETOOLONG:
                throw Failure(description: "the control socket path is too long: \(path)")
            default:
                throw Failure(description: "cannot connect to \(path): \(String(cString: strerror(failure)))")
            }
        }
        var line = try JSONEncoder.control.encode(request)
        line.append(0x0A)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count else { throw Failure(description: "cannot write to \(path): \(errorText())") }
        var reply = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else {
                throw Failure(description: "no whole reply from the daemon within \(Int(timeout)) s (\(reply.count) bytes received)")
            }
            var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(Int64(Int32.max), left.milliseconds + 1))
            let polled = poll(&ready, 1, milliseconds)
            if polled < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read the daemon's reply: \(errorText())")
            }
            if polled == 0 { continue }
            let count = read(descriptor, &buffer, buffer.count)
            if count > 0 {
                reply.append(contentsOf: buffer[0..<count])
                if reply.count > 64 << 20 { throw Failure(description: "the daemon's reply is too long") }
                continue
            }
            if count == 0 { break }
            if errno == EINTR || errno == EAGAIN { continue }
            throw Failure(description: "cannot read the daemon's reply: \(errorText())")
        }
        guard !reply.isEmpty else { throw Failure(description: "the daemon closed the connection without a reply") }
        guard reply.last == 0x0A else {
            throw Failure(description: "the daemon's reply was cut: the connection closed after \(reply.count) bytes, before the end of the reply line")
        }
        do {
            return try JSONDecoder.control.decode(ControlReply.self, from: reply)
        } catch {
            throw Failure(description: "the daemon's reply is not understood (a different version?): \(error)")
        }
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }
}

extension ControlReply {
    /// Prints the message and exits with the outcome's code (Docs/cli.md).
    func finish() throws {
        switch outcome {
        case .done:
            print(message)
        case .refused:
            print(message)
            throw ExitCode(.failed)
        case .denied:
            StandardError.print(message)
            throw ExitCode(.notPermitted)
        case .pending:
            print(message)
            throw ExitCode(.pending)
        }
    }
}
