import Foundation

/// A real server a test talks to (an SMTP sink, a trap receiver), spawned in a temporary
/// directory of its own: started and found ready by `start`, stopped with its directory by
/// `stop()` or when released.
public class SpawnedServer: @unchecked Sendable {
    /// The server's port on 127.0.0.1.
    public let port: Int
    /// Where the server keeps what it received.
    public let directory: TemporaryDirectory
    let server: SpawnedProcess

    /// Makes the directory (`name-XXXXXX`) and runs `start` in it, which spawns the server,
    /// waits until it is ready and says its port; nothing is left behind when it throws.
    init(_ name: String, start: (TemporaryDirectory) throws -> (server: SpawnedProcess, port: Int)) throws {
        let directory = try TemporaryDirectory(name)
        do {
            (server, port) = try start(directory)
        } catch {
            directory.remove()
            throw error
        }
        self.directory = directory
    }

    deinit {
        stop()
    }

    public func stop() {
        server.stop()
        directory.remove()
    }

    /// Waits (at most `timeout` seconds) until `condition` holds, or throws naming `what`.
    func wait(for what: String, timeout: TimeInterval, _ condition: () -> Bool) throws {
        try server.wait(for: what, timeout: timeout, until: condition)
    }
}
