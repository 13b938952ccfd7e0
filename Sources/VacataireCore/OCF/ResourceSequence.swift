/// The order in which the agent starts and stops the resources of `failover.resources`,
/// and what it does after a failure. Pure: the runner executes each `Step` and reports
/// whether it succeeded; the sequence says what comes next.
///
/// - A start runs the resources' starts in order (a file system, then the address, then
///   the web server). A start that fails stops that resource and every one started before
///   it, in reverse order, before the start reports its failure: a failed start leaves
///   nothing running that depends on the order it did not finish.
/// - A stop runs the stops in reverse order. A stop that fails ends the sequence there: the
///   resources below it stay as they are, since what failed to stop may still use them
///   (unmounting a file system under a web server that still runs would fail or break it).
///   The same holds for a stop that fails while undoing a start.
public struct ResourceSequence: Sendable, Equatable {
    /// What the runner does next.
    public enum Step: Sendable, Equatable {
        /// Run `action` (start or stop) of the resource at this index.
        case run(OCFAction, resource: Int)
        /// Everything started (or stopped) as asked.
        case succeeded
        /// The action failed; what was undone and what was left is in the failure.
        case failed(Failure)
    }

    /// How a start or stop sequence failed.
    public struct Failure: Sendable, Equatable {
        /// The action that failed first, and its resource.
        public var action: OCFAction
        public var resource: Int
        /// The resources stopped after it (undoing a failed start), in the order stopped.
        public var stopped: [Int]
        /// A stop that failed while undoing the failed start, if one did.
        public var undoFailure: Int?
        /// The resources left as they were because a stop above them failed, top first.
        public var untouched: [Int]
    }

    private enum State: Sendable, Equatable {
        /// Starting in order; `next` is being started.
        case starting(next: Int)
        /// Undoing the failed start of `failed`: `pending` are still to stop, the first now.
        case undoing(failed: Int, pending: [Int], stopped: [Int])
        /// Stopping in reverse order: `pending` are still to stop, the first now.
        case stopping(pending: [Int])
        /// The sequence reported its end (this step); further outcomes change nothing.
        case finished(Step)
    }

    private let count: Int
    private var state: State

    private init(count: Int, state: State) {
        self.count = count
        self.state = state
    }

    /// A start of `count` resources, and its first step.
    public static func start(count: Int) -> (sequence: ResourceSequence, first: Step) {
        guard count > 0 else { return (ResourceSequence(count: 0, state: .finished(.succeeded)), .succeeded) }
        return (ResourceSequence(count: count, state: .starting(next: 0)), .run(.start, resource: 0))
    }

    /// A stop of `count` resources, and its first step.
    public static func stop(count: Int) -> (sequence: ResourceSequence, first: Step) {
        guard count > 0 else { return (ResourceSequence(count: 0, state: .finished(.succeeded)), .succeeded) }
        let order = Array((0..<count).reversed())
        return (ResourceSequence(count: count, state: .stopping(pending: order)), .run(.stop, resource: order[0]))
    }

    /// The step the runner ran ended; `succeeded` as the OCF contract judges its exit code.
    public mutating func finished(succeeded: Bool) -> Step {
        switch state {
        case .starting(let index):
            if succeeded {
                let next = index + 1
                // The last start succeeded: the whole service runs.
                guard next < count else { return finish(.succeeded) }
                state = .starting(next: next)
                return .run(.start, resource: next)
            }
            // A failed start may have left its resource half up: stop it too, then the others.
            let pending = Array((0...index).reversed())
            state = .undoing(failed: index, pending: pending, stopped: [])
            return .run(.stop, resource: index)
        case .undoing(let failed, let pending, var stopped):
            let current = pending[0]
            let rest = Array(pending.dropFirst())
            guard succeeded else {
                // What stands below a resource that did not stop stays: it may still use it.
                return finish(.failed(Failure(action: .start, resource: failed, stopped: stopped, undoFailure: current, untouched: rest)))
            }
            stopped.append(current)
            guard let next = rest.first else {
                return finish(.failed(Failure(action: .start, resource: failed, stopped: stopped, undoFailure: nil, untouched: [])))
            }
            state = .undoing(failed: failed, pending: rest, stopped: stopped)
            return .run(.stop, resource: next)
        case .stopping(let pending):
            let current = pending[0]
            let rest = Array(pending.dropFirst())
            guard succeeded else {
                return finish(.failed(Failure(action: .stop, resource: current, stopped: [], undoFailure: nil, untouched: rest)))
            }
            guard let next = rest.first else { return finish(.succeeded) }
            state = .stopping(pending: rest)
            return .run(.stop, resource: next)
        case .finished(let step):
            return step
        }
    }

    private mutating func finish(_ step: Step) -> Step {
        state = .finished(step)
        return step
    }
}
