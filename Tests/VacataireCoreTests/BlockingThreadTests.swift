import Foundation
@testable import VacataireCore
import XCTest

final class BlockingThreadTests: XCTestCase {
    /// A check every few milliseconds (its interval) finds the thread of its last run waiting.
    func testJobsOneAfterAnotherReuseOneThread() async throws {
        let threads = ReusableThreads(idleLifetime: 5)
        var names: Set<String> = []
        for index in 0..<50 {
            let name = await withCheckedContinuation { continuation in
                threads.submit(name: "job-\(index % 2)") {
                    continuation.resume(returning: "\(pthread_self())|\(Thread.current.name ?? "")")
                }
            }
            names.insert(String(name.split(separator: "|")[0]))
            try await Task.sleep(for: .milliseconds(5))
            XCTAssertEqual(name.split(separator: "|").last.map(String.init), "job-\(index % 2)", "the thread carries the job's name")
        }
        XCTAssertEqual(names.count, 1, "fifty jobs in a row ran on one kept thread")
        XCTAssertEqual(threads.threadCount, 1)
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

    func testIdleThreadsEnd() async throws {
        let threads = ReusableThreads(idleLifetime: 0.2)
        await withCheckedContinuation { continuation in threads.submit(name: "once") { continuation.resume() } }
        XCTAssertEqual(threads.threadCount, 1)
        let deadline = ContinuousClock.now + .seconds(5)
        while threads.threadCount > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
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
