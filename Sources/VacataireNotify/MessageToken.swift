import Foundation
import Synchronization

/// The unique part of a Message-ID, which is also the outbox's key (`outbox.message_id`).
///
/// Foundation's `UUID()` reads `/dev/urandom` through a descriptor on Linux; with the
/// descriptors exhausted it returns the same value again and again, and three deliveries
/// given up in the same instant collided on the outbox key. This one
/// needs no descriptor: a process-wide counter, which alone makes every token of this
/// process distinct, then the time and 64 bits from the system generator (`getrandom`),
/// which keep tokens distinct across restarts.
public enum MessageToken {
    private static let counter = Atomic<UInt64>(0)

    /// A new token, such as `19c3a2f1b7d-2a-9f86d081884c7d65`.
    public static func next(at time: Date) -> String {
        let sequence = counter.add(1, ordering: .relaxed).newValue
        let milliseconds = time.unixMilliseconds
        var generator = SystemRandomNumberGenerator()
        let random = generator.next()
        return "\(String(milliseconds, radix: 16))-\(String(sequence, radix: 16))-\(String(random, radix: 16))"
    }
}
