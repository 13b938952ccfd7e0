import Foundation

/// Runs blocking C calls (libcurl, Net-SNMP) on a thread of their own, so that a slow
/// server never holds one of the few threads Swift concurrency runs tasks on.
public enum BlockingWork {
    public static func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: work())
            }
            thread.start()
        }
    }
}
