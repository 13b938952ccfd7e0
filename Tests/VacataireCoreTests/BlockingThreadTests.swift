import Foundation
@testable import VacataireCore
import VacataireTestSupport
import XCTest

final class BlockingThreadTests: XCTestCase {
    /// The thread a job ran on, as the job saw it.
    private struct RanOn: Sendable {
        var thread: String
        var name: String
        /// Its kernel thread id (its /proc/self/task entry).
        var id: String?
    }

    /// The calling thread's kernel id (its /proc/self/task entry).
    private static func threadID() -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")).map { ($0 as NSString).lastPathComponent }
    }

    /// Whether this process's thread `id` sleeps in the kernel: a kept thread between jobs
    /// sleeps only in its wait for the next one.
    private static func isAsleep(_ id: String) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/self/task/\(id)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)...].hasPrefix("S")
    }

    /// A check every few milliseconds (its interval) finds the thread of its last run waiting.
    func testJobsOneAfterAnotherReuseOneThread() async throws {
        let threads = ReusableThreads(idleLifetime: 5)
        var names: Set<String> = []
        for index in 0..<50 {
            let ran = await withCheckedContinuation { continuation in
                threads.submit(name: "job-\(index % 2)") {
                    continuation.resume(returning: RanOn(thread: "\(pthread_self())", name: Thread.current.name ?? "", id: Self.threadID()))
                }
            }
            names.insert(ran.thread)
            XCTAssertEqual(ran.name, "job-\(index % 2)", "the thread carries the job's name")
            // The next job comes once the thread waits for work again, as a check's next run
            // comes an interval after the last.
            let id = try XCTUnwrap(ran.id, "the job's thread id")
            let waiting = await Wait.until(timeout: 5, every: 0.001) { () async -> Bool in Self.isAsleep(id) }
            XCTAssertTrue(waiting, "the thread of job \(index) waits for the next")
        }
        XCTAssertEqual(names.count, 1, "fifty jobs in a row ran on one kept thread")
        XCTAssertEqual(threads.threadCount, 1)
    }

    /// The name a job named `name` reads as its thread's, on a new thread of its own.
    private func nameSeen(by name: String) async -> String {
        let threads = ReusableThreads(idleLifetime: 0.05)
        return await withCheckedContinuation { continuation in
            threads.submit(name: name) { continuation.resume(returning: Thread.current.name ?? "") }
        }
    }

    /// However soon a new thread runs its first job, the job sees its own name, not the
    /// name of the thread that started it.
    func testEveryNewThreadsFirstJobSeesItsName() async {
        for index in 0..<100 {
            let seen = await nameSeen(by: "first-\(index)")
            XCTAssertEqual(seen, "first-\(index)")
        }
    }

    func testALongNameKeepsItsLast15BytesAndNoHalfCharacter() async {
        let http = await nameSeen(by: "vacataire-http-check")
        XCTAssertEqual(http, "aire-http-check")
        let accented = await nameSeen(by: "é12345678901234")
        XCTAssertEqual(accented, "12345678901234", "the cut falls inside é: all of it goes")
    }

    func testAJobThatHangsNeverDelaysTheNext() async {
        let threads = ReusableThreads(idleLifetime: 5)
        let release = DispatchSemaphore(value: 0)
        threads.submit(name: "hung") { release.wait() }
        let started = ContinuousClock.now
        let answered = await withCheckedContinuation { continuation in
            threads.submit(name: "next") { continuation.resume(returning: true) }
        }
        XCTAssertTrue(answered)
        XCTAssertEqual(threads.threadCount, 2, "the second job got a thread of its own while the first hangs")
        release.signal()
        print("a job behind a hung one answered in \(ContinuousClock.now - started)")
    }

    func testIdleThreadsEnd() async {
        let threads = ReusableThreads(idleLifetime: 0.2)
        await withCheckedContinuation { continuation in threads.submit(name: "once") { continuation.resume() } }
        XCTAssertEqual(threads.threadCount, 1)
        // Its idle lifetime is the kernel's wait of a real thread: real time, waited for by its end.
        _ = await Wait.until(timeout: 5) { () async -> Bool in threads.threadCount == 0 }
        XCTAssertEqual(threads.threadCount, 0, "a thread with nothing to do for its idle lifetime ends")
    }

    func testManyConcurrentJobsAllRun() async {
        let threads = ReusableThreads(idleLifetime: 5)
        let sum = await withTaskGroup(of: Int.self) { group in
            for index in 0..<500 {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        threads.submit(name: "many") { continuation.resume(returning: index) }
                    }
                }
            }
            return await group.reduce(0, +)
        }
        XCTAssertEqual(sum, 500 * 499 / 2)
    }
}
