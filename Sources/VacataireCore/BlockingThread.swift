import Foundation

/// Runs blocking work (libcurl, Net-SNMP, a connect, /proc reads) on a thread of its own, so that it
/// never occupies a thread of Swift's cooperative pool, which has only as many threads as
/// cores and also runs the peer link.
public enum BlockingThread {
    /// Runs `body` on a new thread named `name` and returns its value.
    public static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.start()
        }
    }
}
