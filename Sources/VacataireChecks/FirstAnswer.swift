import VacataireCore

/// Work that may outlive the call that started it (a check run that overstays its bound),
/// run as child tasks of one long-lived task group (`run()`, a child of the scheduler's),
/// never as unstructured tasks.
public final class WorkPool: Sendable {
    private let jobs: AsyncStream<@Sendable () async -> Void>
    private let queue: AsyncStream<@Sendable () async -> Void>.Continuation

    public init() {
        (jobs, queue) = AsyncStream.makeStream()
    }

    /// Runs the jobs as they come, each on a child task, until the calling task is
    /// cancelled or `finish()` is called, then waits for those under way.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                group.addTask { await job() }
            }
        }
    }

    /// Queues `job`; false when the pool no longer runs jobs.
    func submit(_ job: @escaping @Sendable () async -> Void) -> Bool {
        if case .enqueued = queue.yield(job) { return true }
        return false
    }

    /// No more jobs: `run()` returns once those under way end.
    public func finish() {
        queue.finish()
    }
}

/// Awaits `work`, run in `pool`, but no longer than `limit` (real time: a check's run is
/// real work): returns nil when the limit passes first, or when the caller is cancelled.
/// The work is then cancelled (an exec check kills its plugin) and left to end on its own
/// in the pool.
func firstAnswer<T: Sendable>(
    within limit: Duration, pool: WorkPool, clock: any AgentClock = SystemClock(), _ work: @escaping @Sendable () async -> T
) async -> T? {
    let answer = OnceValue<T?>()
    let givenUp = Doorbell()
    let abandon: @Sendable () -> Void = {
        answer.give(nil)
        givenUp.open()  // the job's watcher returns and cancels the work
    }
    let submit = {
        let submitted = pool.submit {
            await withTaskGroup(of: Void.self) { run in
                run.addTask { answer.give(await work()) }
                run.addTask { await givenUp.wait() }
                _ = await run.next()
                run.cancelAll()
            }
        }
        if !submitted { abandon() }
    }
    return await withTaskCancellationHandler {
        // On the daemon's loop the limit is a timer that the answer cancels; elsewhere a
        // task sleeps on the clock beside the wait.
        if let timer = clock.timer(at: clock.now + limit, abandon) {
            let value = await answer.wait(submit)
            timer.cancel()
            return value
        }
        return await withTaskGroup(of: Void.self) { timer in
            timer.addTask {
                if (try? await clock.sleep(for: limit)) != nil { abandon() }
            }
            let value = await answer.wait(submit)
            timer.cancelAll()
            return value
        }
    } onCancel: {
        abandon()
    }
}
