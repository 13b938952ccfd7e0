import Foundation
import VacataireAgent
import VacataireCore
import VacataireTestSupport
import XCTest

/// systemd's notification protocol: the pure decisions (`SystemdNotifier`), and the real
/// daemon talking to a fake `$NOTIFY_SOCKET`.
final class SystemdNotifierTests: XCTestCase {
    private func progress(_ state: FailoverStateName, epoch: UInt64 = 7, peer: ServiceRole? = .standby,
                          tickAt seconds: Double) -> SystemdNotifier.Progress {
        SystemdNotifier.Progress(state: state, role: state == .active ? .active : .standby, epoch: epoch, peerName: "beta",
                                 peerRole: peer, lastTick: .seconds(seconds))
    }

    private func at(_ seconds: Double) -> MonotonicInstant {
        .seconds(seconds)
    }

    func testReadyOnceTheRoleIsKnownWithStatus() {
        var notifier = SystemdNotifier(watchdog: nil, stallAfter: .seconds(10))
        XCTAssertEqual(notifier.update(progress(.starting, peer: nil, tickAt: 0), now: at(0)),
                       ["STATUS=starting at epoch 7, peer beta unheard"])
        XCTAssertEqual(notifier.update(progress(.starting, peer: nil, tickAt: 1), now: at(1)), [], "nothing new")
        XCTAssertEqual(notifier.update(progress(.active, tickAt: 2), now: at(2)),
                       ["STATUS=active at epoch 7, peer beta standby", "READY=1"])
        XCTAssertEqual(notifier.update(progress(.active, epoch: 8, tickAt: 3), now: at(3)),
                       ["STATUS=active at epoch 8, peer beta standby"], "READY is said once")
    }

    func testWatchdogPingsOnlyWhileTheMachineMoves() {
        var notifier = SystemdNotifier(watchdog: .seconds(4), stallAfter: .seconds(2))
        XCTAssertEqual(notifier.pollInterval, .seconds(1))
        XCTAssertTrue(notifier.update(progress(.active, tickAt: 0), now: at(0)).contains("WATCHDOG=1"))
        XCTAssertFalse(notifier.update(progress(.active, tickAt: 1), now: at(1)).contains("WATCHDOG=1"), "half the period not yet gone")
        XCTAssertEqual(notifier.update(progress(.active, tickAt: 2), now: at(2)), ["WATCHDOG=1"])
        // The machine is stuck at 2 s: the ticks stop, and so do the pings; systemd kills it at 6 s.
        for second in [3.0, 4.0, 4.5, 5.0, 6.0] {
            XCTAssertEqual(notifier.update(progress(.active, tickAt: 2), now: at(second)), [], "no ping at \(second) s while stuck")
        }
        XCTAssertEqual(notifier.update(progress(.active, tickAt: 7), now: at(7)), ["WATCHDOG=1"], "moving again")
    }

    func testWatchdogPeriodFollowsSystemdsEnvironment() {
        XCTAssertEqual(SystemdNotifier.watchdogPeriod(environment: ["WATCHDOG_USEC": "30000000"], pid: 42), .seconds(30))
        XCTAssertEqual(SystemdNotifier.watchdogPeriod(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"], pid: 42), .seconds(30))
        XCTAssertNil(SystemdNotifier.watchdogPeriod(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "41"], pid: 42), "for another process")
        XCTAssertNil(SystemdNotifier.watchdogPeriod(environment: [:], pid: 42))
        XCTAssertNil(SystemdNotifySocket(environment: [:]))
        XCTAssertNil(SystemdNotifySocket(environment: ["NOTIFY_SOCKET": "relative"]))
        XCTAssertEqual(SystemdNotifySocket(environment: ["NOTIFY_SOCKET": "@abstract"])?.path, "@abstract")
    }

    /// A wedged agent killed by the watchdog (SIGABRT) leaves no clean stop behind: the next
    /// start records that as an event; after a clean stop (SIGTERM) nothing is recorded.
    func testARestartAfterAnUncleanStopIsAnEvent() throws {
        let directory = try TemporaryDirectory("restart")
        defer { directory.remove() }
        let config = try Self.writeAgentConfig(in: directory)
        let unclean = "ended without stopping cleanly"
        func run(_ count: Int) throws -> SpawnedProcess {
            let agent = try SpawnedProcess(
                executable: Repository.executable, arguments: ["run", "--config", config],
                stdoutPath: directory.file("out\(count)"), stderrPath: directory.file("log\(count)"))
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline, try Repository.runVacataire(["status", "--config", config]).status != 0 {
                usleep(100_000)
            }
            return agent
        }
        func events() throws -> String {
            try Repository.runVacataire(["events", "--config", config]).stdout
        }
        let first = try run(1)
        // systemd's watchdog sends SIGABRT (and SIGKILL later); the Swift runtime's backtracer
        // makes SIGABRT slow to end a debug build, and either leaves no clean stop behind.
        first.signal(SIGKILL)
        first.waitUntilExit()
        let second = try run(2)
        let afterCrash = try events()
        XCTAssertTrue(afterCrash.contains(unclean), afterCrash)
        second.stop(grace: 5)
        let third = try run(3)
        defer { third.stop() }
        let afterCleanStop = try events()
        XCTAssertEqual(afterCleanStop.components(separatedBy: unclean).count - 1, 1, "a clean stop was taken for an unclean one:\n\(afterCleanStop)")
    }

    /// The real daemon under a fake systemd: READY, STATUS and WATCHDOG arrive; while the
    /// process is stopped (SIGSTOP, a wedged agent) no WATCHDOG does; then it resumes.
    func testTheDaemonNotifiesAFakeSystemd() throws {
        let directory = try TemporaryDirectory("notify")
        defer { directory.remove() }
        let socket = try UnixDatagramSink(path: directory.file("notify.sock"))
        let config = try Self.writeAgentConfig(in: directory)
        let agent = try SpawnedProcess(
            executable: Repository.executable, arguments: ["run", "--config", config],
            environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"],
            stdoutPath: directory.file("out"), stderrPath: directory.file("log"))
        defer { agent.stop() }
        let log = { (try? String(contentsOfFile: directory.file("log"), encoding: .utf8)) ?? "" }

        var seen: [String] = []
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !(seen.contains("READY=1") && seen.filter({ $0 == "WATCHDOG=1" }).count >= 3) {
            seen += socket.receive(for: 0.5)
        }
        XCTAssertTrue(seen.contains("READY=1"), "\(seen)\n\(log())")
        XCTAssertTrue(seen.contains { $0.hasPrefix("STATUS=") && $0.contains(" at epoch ") && $0.contains("peer beta") }, "\(seen)")
        XCTAssertGreaterThanOrEqual(seen.filter { $0 == "WATCHDOG=1" }.count, 3, "\(seen)")
        let readyIndex = try XCTUnwrap(seen.firstIndex(of: "READY=1"))
        XCTAssertTrue(seen[..<readyIndex].contains { $0.hasPrefix("STATUS=") }, "the status comes with readiness")

        agent.signal(SIGSTOP)
        _ = socket.receive(for: 0.2)  // what was already queued
        XCTAssertEqual(socket.receive(for: 1.5).filter { $0 == "WATCHDOG=1" }, [], "a wedged agent pinged the watchdog")
        agent.signal(SIGCONT)
        XCTAssertTrue(socket.receive(for: 2, until: { $0 == "WATCHDOG=1" }).contains("WATCHDOG=1"), "no ping after it moved again")

        agent.signal(SIGTERM)
        let after = socket.receive(for: 3, until: { $0 == "STOPPING=1" })
        XCTAssertTrue(after.contains("STOPPING=1"), "\(after)")
    }

    /// A master whose peer never answers: it settles after `dead_after` (1 s).
    static func writeAgentConfig(in directory: TemporaryDirectory) throws -> String {
        try LoneNode.writeConfig(in: directory, name: "alpha", role: "master", peer: "beta", cluster: "notify-test")
    }
}
