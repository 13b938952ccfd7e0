import Synchronization

/// A value given once, by whichever side comes first; later gifts are ignored.
public final class OnceValue<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, Never>?
        var given: T?
    }

    private let state = Mutex(State())

    public init() {}

    /// Waits for the first gift; `start` runs once the waiter is in place.
    public func wait(_ start: () -> Void) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let early = state.withLock { state -> T? in
                if let given = state.given { return given }
                state.continuation = continuation
                return nil
            }
            if let early {
                continuation.resume(returning: early)
                return
            }
            start()
        }
    }

    public func give(_ value: T) {
        let continuation = state.withLock { state -> CheckedContinuation<T, Never>? in
            guard state.given == nil else { return nil }
            state.given = .some(value)
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: value)
    }
}
