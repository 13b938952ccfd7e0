import Foundation
import Synchronization
import VacataireCore
import VacataireTestSupport
import XCTest

@testable import VacataireStore

/// The store thread: writes in order, a refused write holding the writes behind it (not
/// the reads), a stalled call that a reader outlives by its deadline.
final class StoreThreadTests: XCTestCase {
    private var scratch: CheckScratchDirectory!

    override func setUpWithError() throws {
        scratch = try CheckScratchDirectory("store-thread")
    }

    override func tearDown() {
        scratch.remove()
    }

    private struct Refused: Error, CustomStringConvertible {
        var description: String { "database or disk is full" }
    }

    /// Waits (real time, bounded) until the thread's progress says `condition`.
    private func progress(of thread: StoreThread, _ condition: (StoreThread.Progress) -> Bool) -> StoreThread.Progress {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let progress = thread.progress
            if condition(progress) { return progress }
            usleep(1_000)
        }
        return thread.progress
    }

    /// What `ask` returns on a manual clock that stands still: its deadlines never pass, so
    /// only the thread can answer. Should the thread not answer within 10 s of real time,
    /// the clock passes `limit` for the deadline to answer, and the test fails instead of
    /// hanging.
    private func standingStill<T: Sendable>(limit: Duration, _ ask: @escaping @Sendable (ManualClock) async -> T) async -> T {
        let clock = ManualClock()
        async let answer = ask(clock)
        let bound = Task {
            guard (try? await Task.sleep(for: .seconds(10))) != nil else { return }
            await clock.advance(by: limit, settle: .zero)
        }
        defer { bound.cancel() }
        return await answer
    }

    func testWritesRunInOrderAndARefusedOneHoldsTheWritesBehindItButNotTheReads() async throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        let thread = StoreThread(store: store)
        let order = Mutex<[Int]>([])
        let refuse = Mutex(true)
        thread.write("first") { _ in order.withLock { $0.append(1) } }
        let second = thread.write("second", keep: .always) { _ in
            if refuse.withLock({ $0 }) { throw Refused() }
            order.withLock { $0.append(2) }
        }
        let third = thread.write("third") { _ in order.withLock { $0.append(3) } }
        let refused = progress(of: thread) { $0.refused != nil }
        XCTAssertEqual(refused.refused, "database or disk is full")
        XCTAssertEqual(refused.waitingWrites, 2, "the refused write and the one behind it")
        XCTAssertLessThan(refused.writtenThrough, second)
        // A read does not wait behind the refused write.
        let read = await standingStill(limit: .seconds(5)) { clock in
            await thread.answer("read", within: .seconds(5), clock: clock) { try $0.loadFailoverState() }
        }
        XCTAssertNotNil(read)
        XCTAssertEqual(order.withLock { $0 }, [1])

        refuse.withLock { $0 = false }
        thread.retry()
        let done = progress(of: thread) { $0.writtenThrough >= third }
        XCTAssertTrue(done.isIdle, "\(done)")
        XCTAssertEqual(order.withLock { $0 }, [1, 2, 3], "in the order queued")
    }

    func testAReaderOutlivesAStalledCallByItsDeadlineAndTheCallEndsLater() async throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        let thread = StoreThread(store: store)
        let release = DispatchSemaphore(value: 0)
        let stalled = thread.write("stalled write", keep: .always) { _ in release.wait() }
        let running = progress(of: thread) { $0.running != nil }
        XCTAssertEqual(running.running?.what, "stalled write")

        let clock = ManualClock()
        async let answer = thread.answer("status read", within: .milliseconds(100), clock: clock) { _ in 42 }
        let waiting = await clock.untilSleeping(1)
        XCTAssertTrue(waiting, "the read's deadline is set")
        await clock.advance(by: .milliseconds(100), settle: .zero)
        let answered = await answer
        XCTAssertNil(answered, "the read waits behind the stalled call: its deadline answers")

        release.signal()
        let after = progress(of: thread) { $0.writtenThrough >= stalled && $0.isIdle }
        XCTAssertTrue(after.isIdle, "\(after)")
        let drained = await standingStill(limit: .seconds(5)) { clock in await thread.drain(within: .seconds(5), clock: clock) }
        XCTAssertTrue(drained)
    }

    func testBeyondTheLimitTheOldestHistoryWritesAreDroppedNeverTheOthers() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        let thread = StoreThread(store: store, limit: 3)
        let written = Mutex<[String]>([])
        let refuse = Mutex(true)
        thread.write("gate", keep: .always) { _ in
            if refuse.withLock({ $0 }) { throw Refused() }
            written.withLock { $0.append("gate") }
        }
        _ = progress(of: thread) { $0.refused != nil }
        for name in ["event 1", "role", "event 2", "event 3"] {
            thread.write(name, keep: name == "role" ? .always : .history) { _ in written.withLock { $0.append(name) } }
        }
        XCTAssertEqual(thread.takeDropped(), 2, "two events made room; the role and the refused write stay")
        refuse.withLock { $0 = false }
        thread.retry()
        _ = progress(of: thread) { $0.isIdle }
        XCTAssertEqual(written.withLock { $0 }, ["gate", "role", "event 3"])
    }
}
