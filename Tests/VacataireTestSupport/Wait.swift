import Foundation

/// The one way the tests wait for something real (a daemon, a server, a mail): poll a
/// condition until it holds or a timeout passes, scaled by `Repository.timeScale`.
public enum Wait {
    /// Polls `condition` every `interval` seconds; returns whether it held within `timeout`.
    public static func until(timeout: TimeInterval, every interval: TimeInterval = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout * Repository.timeScale)
        while Date() < deadline {
            if try condition() { return true }
            usleep(useconds_t(interval * 1_000_000))
        }
        return try condition()
    }

    /// The same for an asynchronous condition; sleeps without holding a thread.
    public static func until(timeout: TimeInterval, every interval: TimeInterval = 0.05, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout * Repository.timeScale)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .seconds(interval))
        }
        return try await condition()
    }
}
