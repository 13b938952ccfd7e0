import Foundation
import Synchronization

/// Runs blocking work (libcurl, a connect, /proc reads) on a thread of its own, so that it
/// never occupies a thread of Swift's cooperative pool, which has only as many threads as
/// cores and also runs the peer link.
enum BlockingThread {
    /// Runs `body` on a new thread named `name` and returns its value.
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.start()
        }
    }
}

/// Awaits `work`, but no longer than `limit`: returns nil when the limit passes first (or
/// the caller is cancelled), leaving the work to finish on its own in the background.
///
/// A task group cannot do this, since it waits for all its children; here neither side
/// waits for the other.
func firstAnswer<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
    let race = AnswerRace<T>()
    return await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            race.start(continuation)
            let worker = Task { race.answer(await work()) }
            let timer = Task {
                try? await Task.sleep(for: limit)
                race.answer(nil)
            }
            _ = worker
            race.track(timer: timer)
        }
    } onCancel: {
        race.answer(nil)
    }
}

/// The shared state of `firstAnswer`: the continuation is resumed exactly once.
private final class AnswerRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T?, Never>?
        var answered = false
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T?, Never>) {
        let early = state.withLock { state -> Bool in
            if state.answered { return true }
            state.continuation = continuation
            return false
        }
        // Cancelled before it began: answer at once.
        if early { continuation.resume(returning: nil) }
    }

    func track(timer: Task<Void, Never>) {
        let done = state.withLock { state -> Bool in
            if state.answered { return true }
            state.timer = timer
            return false
        }
        if done { timer.cancel() }
    }

    func answer(_ value: T?) {
        let (continuation, timer) = state.withLock { state -> (CheckedContinuation<T?, Never>?, Task<Void, Never>?) in
            guard !state.answered else { return (nil, nil) }
            state.answered = true
            defer { state.continuation = nil; state.timer = nil }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(returning: value)
    }
}
