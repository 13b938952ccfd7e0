import Foundation
import Synchronization

/// The open `CheckScheduler.transitions()` streams; each gets every transition.
final class TransitionSubscribers: Sendable {
    private struct State {
        var streams: [UUID: AsyncStream<CheckTransition>.Continuation] = [:]
        var finished = false
    }

    private let state = Mutex(State())

    func subscribe() -> AsyncStream<CheckTransition> {
        let (stream, continuation) = AsyncStream.makeStream(of: CheckTransition.self)
        let id = UUID()
        let finished = state.withLock { state -> Bool in
            if !state.finished { state.streams[id] = continuation }
            return state.finished
        }
        if finished {
            continuation.finish()
        } else {
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.streams.removeValue(forKey: id) }
            }
        }
        return stream
    }

    func yield(_ transition: CheckTransition) {
        for continuation in state.withLock({ Array($0.streams.values) }) {
            continuation.yield(transition)
        }
    }

    func finish() {
        let streams = state.withLock { state -> [AsyncStream<CheckTransition>.Continuation] in
            state.finished = true
            defer { state.streams = [:] }
            return Array(state.streams.values)
        }
        for continuation in streams {
            continuation.finish()
        }
    }
}
