import Synchronization

/// Awaits `work`, but no longer than `limit`: returns nil when the limit passes first (or
/// the caller is cancelled). The work is then cancelled (an exec check kills its plugin)
/// and left to finish on its own in the background.
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
            race.track(worker: worker, timer: timer)
        }
    } onCancel: {
        race.answer(nil)
    }
}

/// The shared state of `firstAnswer`: the continuation is resumed exactly once; the side
/// that lost is cancelled.
private final class AnswerRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T?, Never>?
        var answer: T??
        var worker: Task<Void, Never>?
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T?, Never>) {
        let early = state.withLock { state -> Bool in
            if state.answer != nil { return true }
            state.continuation = continuation
            return false
        }
        // Cancelled before it began: answer at once.
        if early { continuation.resume(returning: nil) }
    }

    func track(worker: Task<Void, Never>, timer: Task<Void, Never>) {
        let answer = state.withLock { state -> T?? in
            if state.answer == nil {
                state.worker = worker
                state.timer = timer
            }
            return state.answer
        }
        switch answer {
        case .none: break
        case .some(.none): worker.cancel(); timer.cancel()
        case .some(.some): timer.cancel()
        }
    }

    func answer(_ value: T?) {
        let taken = state.withLock { state -> (CheckedContinuation<T?, Never>?, Task<Void, Never>?, Task<Void, Never>?)? in
            guard state.answer == nil else { return nil }
            state.answer = .some(value)
            defer { state.continuation = nil; state.worker = nil; state.timer = nil }
            return (state.continuation, state.worker, state.timer)
        }
        guard let (continuation, worker, timer) = taken else { return }
        if value == nil { worker?.cancel() }
        timer?.cancel()
        continuation?.resume(returning: value)
    }
}
