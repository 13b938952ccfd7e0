import Foundation
import VacataireTestSupport
import XCTest

/// The state directory stops taking writes (a full disk, here a real tmpfs of a few
/// hundred KB filled by the test): stopping is always allowed, starting never is
/// (Docs/persistence.md, "When the state cannot be written").
final class StateDirectoryFullTests: XCTestCase {
    private var pair: PairFixture?
    private var mounts: [String] = []
    private var frozen: [String] = []

    override func tearDown() {
        for path in frozen { _ = try? Repository.run("/usr/sbin/fsfreeze", ["-u", path]) }
        frozen = []
        pair?.tearDown()
        pair = nil
        for mount in mounts { _ = try? Repository.run("/bin/umount", ["-l", mount]) }
        mounts = []
    }

    /// Mounts a small tmpfs as `node`'s state directory, before its agent starts.
    private func smallStateDirectory(_ pair: PairFixture, _ node: PairFixture.Node) throws -> String {
        guard getuid() == 0 else { throw FixtureError("these tests mount a tmpfs: run them as root") }
        let path = pair.directory.file("state-\(node.rawValue)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mounted = try Repository.run("/bin/mount", ["-t", "tmpfs", "-o", "size=640k,mode=0700", "tmpfs", path])
        guard mounted.status == 0 else { throw FixtureError("cannot mount a tmpfs on \(path) (util-linux's mount): \(mounted.stderr)") }
        mounts.append(path)
        return path
    }

    /// Mounts a small ext4 file system (a loop device over an image file) as `node`'s state
    /// directory, before its agent starts: unlike a tmpfs, it can be frozen (`fsfreeze`).
    private func freezableStateDirectory(_ pair: PairFixture, _ node: PairFixture.Node) throws -> String {
        guard getuid() == 0 else { throw FixtureError("this test mounts a loop device: run it as root") }
        let image = pair.directory.file("state-\(node.rawValue).img")
        let path = pair.directory.file("state-\(node.rawValue)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        _ = try Repository.run("/usr/bin/truncate", ["-s", "32M", image])
        let made = try Repository.run("/usr/sbin/mkfs.ext4", ["-q", "-F", image])
        guard made.status == 0 else { throw FixtureError("cannot make an ext4 file system in \(image) (e2fsprogs' mkfs.ext4): \(made.stderr)") }
        let mounted = try Repository.run("/bin/mount", ["-o", "loop", image, path])
        guard mounted.status == 0 else { throw FixtureError("cannot mount \(image) on \(path) through a loop device: \(mounted.stderr)") }
        mounts.append(path)
        _ = chmod(path, 0o700)
        return path
    }

    /// Freezes the file system under `path` (`fsfreeze -f`): every write to it blocks until `thaw`.
    private func freeze(_ path: String) throws {
        let result = try Repository.run("/usr/sbin/fsfreeze", ["-f", path])
        guard result.status == 0 else { throw FixtureError("cannot freeze \(path) (util-linux's fsfreeze): \(result.stderr)") }
        frozen.append(path)
    }

    private func thaw(_ path: String) throws {
        _ = try Repository.run("/usr/sbin/fsfreeze", ["-u", path])
        frozen.removeAll { $0 == path }
    }

    /// Fills the file system under `path` to its last byte.
    private func fill(_ path: String) throws {
        _ = try Repository.run("/bin/dd", ["if=/dev/zero", "of=\(path)/filler", "bs=4k"])
        let free = try Repository.run("/bin/df", ["--output=avail", path]).stdout
        XCTAssertTrue(free.hasSuffix(" 0\n") || free.contains("\n0\n") || free.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) == "0", free)
    }

    private func mails(_ pair: PairFixture, _ text: String) -> Int {
        pair.sink.messages().filter { $0.headers["subject"]?.contains(text) == true || $0.body.contains(text) }.count
    }

    private func subjects(_ pair: PairFixture) -> String {
        pair.sink.messages().map { $0.headers["subject"] ?? "?" }.joined(separator: "\n")
    }

    private func notWritable(_ pair: PairFixture, _ node: PairFixture.Node) -> Bool {
        pair.statusObject(node)?["stateNotWritable"] is String
    }

    /// Waits until both nodes owe no notification, then asserts that exactly `count` mails
    /// arrived in all.
    private func assertMails(_ pair: PairFixture, _ count: Int, _ what: String) {
        XCTAssertTrue(pair.waitUntilNotificationsSettled(timeout: 15), "a node still owes a notification:\n\(pair.logs)")
        XCTAssertEqual(pair.sink.messages().count, count, "\(what); mails:\n\(subjects(pair))\n\(pair.logs)")
    }

    func testAMasterWhoseDiskIsFullHandsOverStopsItsServiceAndCatchesUpWhenSpaceReturns() async throws {
        let pair = try PairFixture()
        self.pair = pair
        let state = try smallStateDirectory(pair, .alpha)
        try await pair.startPair()
        try fill(state)
        // The store is tried every few seconds (and at each write, off the agent's actor):
        // alpha learns that it takes no writes, then its service fails too.
        try await pair.waitUntil("alpha knows its state is not writable", timeout: 10) { self.notWritable(pair, .alpha) }
        try pair.breakCheck(.alpha)

        try await pair.waitUntil("beta serves", timeout: 20) { await pair.serving(.beta) }
        let betaServes = Date()
        // Make before break, then alpha stops although it cannot record that it did.
        try await pair.waitUntil("alpha stops its service", timeout: 10) { !(await pair.serving(.alpha)) }
        print("alpha stopped \(String(format: "%.2f", Date().timeIntervalSince(betaServes))) s after beta served (drain 2 × 100 ms)")
        try await pair.waitUntil("alpha is failed, in memory", timeout: 10) { pair.status(.alpha)?.state == "failed" }
        XCTAssertTrue(notWritable(pair, .alpha))
        let health = try pair.admin(.alpha, ["status", "--json"]).stdout
        XCTAssertTrue(health.contains("stateNotWritable"), health)
        // One page: beta's failover, which names alpha's state directory among what fails.
        try await pair.waitUntil("the failover page arrives", timeout: 10) { self.mails(pair, "FAILOVER") >= 1 }
        assertMails(pair, 1, "one page for the incident")
        XCTAssertEqual(mails(pair, "state-directory"), 1, subjects(pair))
        let alphaServesAgain = !(await Wait.until(timeout: 2) { !(await pair.serving(.alpha)) })
        XCTAssertFalse(alphaServesAgain, "both served after the drain")

        // Space comes back: the role, epoch and the events kept in memory are written, once, and nobody is paged again.
        try FileManager.default.removeItem(atPath: "\(state)/filler")
        try await pair.waitUntil("alpha's state is written again", timeout: 10) { !self.notWritable(pair, .alpha) }
        XCTAssertTrue(pair.log(.alpha).contains("state writable again"), pair.log(.alpha))
        let stored = try Repository.run("/usr/bin/sqlite3", ["\(state)/vacataire.sqlite", "SELECT role FROM failover_state"])
        XCTAssertEqual(stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "failed", stored.stderr)
        let events = try pair.admin(.alpha, ["events"]).stdout
        XCTAssertTrue(events.contains("state not writable"), "the event of the outage, kept in memory, is in the history\n\(events)")
        XCTAssertTrue(events.contains("QUIESCING") || events.contains("quiescing"), events)
        assertMails(pair, 1, "the recovery on a failed node is not paged")
    }

    func testAFrozenStateDirectoryNeverSilencesTheMasterAndAFailingCheckStillHandsOff() async throws {
        let pair = try PairFixture()
        self.pair = pair
        let state = try freezableStateDirectory(pair, .alpha)
        try await pair.startPair()
        try freeze(state)
        let frozenAt = Date()
        // Alpha's store thread blocks in the kernel; its actor, heartbeats and control
        // socket go on. Beta's view of alpha and alpha's own status, every 50 ms.
        var longestSilence = 0.0
        var longestStatusGap = 0.0
        var lastStatus = Date()
        var broken = false
        var betaServedAt: Date?
        while Date().timeIntervalSince(frozenAt) < 30 {
            if let heard = (pair.statusObject(.beta)?["peer"] as? [String: Any])?["lastHeardSeconds"] as? Double {
                longestSilence = max(longestSilence, heard)
            }
            if pair.statusObject(.alpha) != nil {
                longestStatusGap = max(longestStatusGap, Date().timeIntervalSince(lastStatus))
                lastStatus = Date()
            }
            if !broken, Date().timeIntervalSince(frozenAt) >= 2 {
                try pair.breakCheck(.alpha)  // before the stalled store counts as a failing check
                broken = true
            }
            if broken, betaServedAt == nil, await pair.serving(.beta) { betaServedAt = Date() }
            try await Task.sleep(for: .milliseconds(50))
        }
        let alphaServesFrozen = await pair.serving(.alpha)
        try thaw(state)
        print(String(format: "frozen 30 s: beta heard alpha at most %.3f s apart (dead_after %.1f s); alpha's status answered at most %.3f s apart; beta served %.2f s after the check broke",
                     longestSilence, PairFixture.deadAfter, longestStatusGap, (betaServedAt?.timeIntervalSince(frozenAt) ?? .nan) - 2))
        XCTAssertLessThan(longestSilence, PairFixture.deadAfter / 2, "alpha fell silent while its disk was frozen\n\(pair.logs)")
        XCTAssertLessThan(longestStatusGap, 2, "alpha's control socket stalled with its disk\n\(pair.log(.alpha))")
        XCTAssertNotNil(betaServedAt, "the failing check did not hand off while alpha's disk was frozen\n\(pair.logs)")
        XCTAssertFalse(alphaServesFrozen, "alpha still served after handing off\n\(pair.log(.alpha))")
        XCTAssertTrue(pair.log(.alpha).contains("has not returned for"), "the stall is a failing state-directory check\n\(pair.log(.alpha))")

        // Thawed: what waited is written, in order, and said once.
        try await pair.waitUntil("alpha's state is written again", timeout: 15) { !self.notWritable(pair, .alpha) }
        XCTAssertEqual(pair.log(.alpha).components(separatedBy: "state writable again").count - 1, 1, pair.log(.alpha))
        let stored = try Repository.run("/usr/bin/sqlite3", ["\(state)/vacataire.sqlite", "SELECT role FROM failover_state"])
        XCTAssertNotEqual(stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "active", "alpha's step down is recorded")
        XCTAssertTrue(pair.waitUntilNotificationsSettled(timeout: 20), "a node still owes a notification:\n\(pair.logs)")
        print("mails:\n\(subjects(pair))")
        XCTAssertEqual(pair.sink.messages().filter { $0.headers["subject"]?.contains("FAILOVER") == true }.count, 1, subjects(pair))
    }

    func testAStandbyWhoseDiskIsFullIsNotReadyAndTheMasterKeepsServing() async throws {
        let pair = try PairFixture()
        self.pair = pair
        let state = try smallStateDirectory(pair, .beta)
        try await pair.startPair()
        try fill(state)
        // Beta learns it before anything needs it, and pages it once: it can no longer take over.
        try await pair.waitUntil("beta knows its state is not writable", timeout: 10) { self.notWritable(pair, .beta) }
        try await pair.waitUntil("beta's page arrives", timeout: 10) { self.mails(pair, "state-directory") >= 1 }
        assertMails(pair, 1, "one page: beta's state directory")

        try pair.breakCheck(.alpha)
        try await pair.waitUntil("alpha cannot hand off", timeout: 15) { pair.log(.alpha).contains("cannot hand off") }
        try await pair.waitUntil("alpha's page arrives", timeout: 10) { self.pair?.sink.messages().count ?? 0 >= 2 }
        assertMails(pair, 2, "one page more: alpha cannot hand off")
        let betaServes = await pair.serving(.beta)
        let alphaServes = await pair.serving(.alpha)
        XCTAssertFalse(betaServes, pair.logs)
        XCTAssertTrue(alphaServes, "better a sick master than no master\n\(pair.logs)")
        XCTAssertTrue(pair.log(.beta).contains("starting is not"), pair.log(.beta))

        // Space comes back on beta: it says so, is ready again, and takes the sick master's service.
        try FileManager.default.removeItem(atPath: "\(state)/filler")
        try await pair.waitUntil("beta serves", timeout: 20) { await pair.serving(.beta) }
        XCTAssertFalse(notWritable(pair, .beta))
        XCTAssertEqual(mails(pair, "state writable again"), 1, subjects(pair))
        // The failure and the recovery of beta's state directory are one thread.
        let thread = pair.sink.messages().filter { $0.body.contains("state-directory") }.map { $0.headers["in-reply-to"] ?? "none" }
        XCTAssertEqual(Set(thread).count, 1, "\(thread)")
        XCTAssertTrue(thread.first?.contains("check-state-directory-beta@") == true, "\(thread)")
    }

    func testAPageThatNeitherTheStoreNorItsServerTakesWaitsInMemoryAndIsDeliveredWhenBothReturn() async throws {
        // Beta mails a server that is down; its SNMP receiver works.
        let port = try CheckFixtures.refusedPort()
        let notify = #"{email: [{url: "smtp://127.0.0.1:\#(port)", from: vacataire@example.org, to: [oncall@example.org], starttls: "off", timeout: 2s}]}"#
        let pair = try PairFixture(extraFor: [.beta: "outbox: {retry_initial: 200ms, retry_max: 1s}"], notify: [.beta: notify])
        self.pair = pair
        let state = try smallStateDirectory(pair, .beta)
        try await pair.startPair()
        try fill(state)
        try await pair.waitUntil("beta knows its state is not writable", timeout: 10) { self.notWritable(pair, .beta) }
        try await pair.waitUntil("beta keeps its page in memory", timeout: 10) {
            pair.log(.beta).contains("keeping it in memory")
        }
        try await pair.waitUntil("beta retries it from memory", timeout: 10) { pair.log(.beta).contains("(in memory) not delivered (try ") }

        // Space returns: the page goes into the outbox; the server comes up: it is delivered, once.
        try FileManager.default.removeItem(atPath: "\(state)/filler")
        try await pair.waitUntil("the page is in the outbox", timeout: 10) {
            pair.log(.beta).contains("kept in memory is now in the outbox")
        }
        let late = try SMTPSink(arguments: ["--port", "\(port)"])
        defer { late.stop() }
        // The page, not only the recovery that may overtake it while it waits for its retry.
        try await pair.waitUntil("the page about the full state directory is delivered", timeout: 20) {
            late.messages().contains { $0.body.contains("state not writable") }
        }
        XCTAssertTrue(Wait.until(timeout: 15) { pair.owesNoNotification(.beta) }, "beta still owes a notification:\n\(pair.log(.beta))")
        XCTAssertEqual(late.messages().filter { $0.body.contains("state not writable") }.count, 1, "delivered once")
    }

    func testAnAgentRestartedOnAFullDiskRunsWithItsServiceOffAndSaysWhy() async throws {
        let pair = try PairFixture()
        self.pair = pair
        let state = try smallStateDirectory(pair, .alpha)
        try await pair.startPair()
        pair.terminate(.alpha)
        try fill(state)
        try pair.start(.alpha)

        // It runs (no exit), knows its role from the store, and gives its service up: beta serves.
        try await pair.waitUntil("beta serves", timeout: 20) { await pair.serving(.beta) }
        try await pair.waitUntil("alpha's service is off", timeout: 10) { !(await pair.serving(.alpha)) }
        XCTAssertTrue(pair.isAgentRunning(.alpha), pair.log(.alpha))
        XCTAssertTrue(notWritable(pair, .alpha))
        XCTAssertTrue(pair.log(.alpha).contains("starting with the service off"), pair.log(.alpha))
        // One page: beta's takeover of the failed master; alpha's status says why it failed.
        try await pair.waitUntil("the page arrives", timeout: 10) { self.mails(pair, "TAKEOVER") >= 1 }
        assertMails(pair, 1, "one page")
        let status = try pair.admin(.alpha, ["status"]).stdout
        XCTAssertTrue(status.contains("state-directory"), status)
    }

    func testAnAgentWhoseStoreCannotBeOpenedStopsTheServiceItMayHaveAndStaysOff() async throws {
        let pair = try PairFixture()
        self.pair = pair
        let state = try smallStateDirectory(pair, .alpha)
        try await pair.startPair()
        pair.terminate(.alpha)
        // Not a database any more (as after a disk error): the role before the restart is unknown.
        try Data(repeating: 0x55, count: 8192).write(to: URL(fileURLWithPath: "\(state)/vacataire.sqlite"))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: "\(state)/vacataire.sqlite\(suffix)") }
        try pair.start(.alpha)

        try await pair.waitUntil("alpha's service is off", timeout: 10) { !(await pair.serving(.alpha)) }
        try await pair.waitUntil("beta serves", timeout: 20) { await pair.serving(.beta) }
        XCTAssertTrue(pair.isAgentRunning(.alpha), pair.log(.alpha))
        let status = try pair.admin(.alpha, ["status"]).stdout
        XCTAssertTrue(status.contains("STATE NOT WRITABLE") && status.contains("role before the restart is unknown"), status)
        XCTAssertTrue(pair.log(.alpha).contains("the role before the restart is unknown"), pair.log(.alpha))
    }

    func testAReadOnlyFileSystemAndALockedDatabaseAreNotWritableEither() async throws {
        // Its control socket where a deployment has it, outside the state directory.
        let pair = try PairFixture(control: [.beta: "{socket: beta-control.sock}"])
        self.pair = pair
        let state = try smallStateDirectory(pair, .beta)
        try await pair.startPair()

        // Another process holds the write lock until the test releases it: beta's writes
        // give up at once instead of holding its heartbeats, and it is not writable until
        // the lock goes.
        let release = pair.directory.file("release-lock")
        let locker = try SpawnedProcess(
            executable: "/bin/sh",
            arguments: ["-c", "(echo 'BEGIN IMMEDIATE;'; while [ ! -e \(release) ]; do sleep 0.05; done; echo 'COMMIT;') | /usr/bin/sqlite3 \(state)/vacataire.sqlite"],
            environment: [:], stdoutPath: pair.directory.file("locker.out"), stderrPath: pair.directory.file("locker.err"))
        defer { locker.stop(grace: 1) }
        try await pair.waitUntil("beta sees the lock", timeout: 10) { self.notWritable(pair, .beta) }
        XCTAssertTrue(try pair.admin(.beta, ["status"]).stdout.contains("locked"), "names why")
        XCTAssertEqual(pair.status(.alpha)?.state, "active", "alpha never lost beta's heartbeats")
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        try await pair.waitUntil("beta writes again", timeout: 15) { !self.notWritable(pair, .beta) }
        XCTAssertEqual(pair.status(.alpha)?.state, "active")
        XCTAssertFalse(pair.log(.alpha).contains("peer lost"), pair.log(.alpha))

        // A read-only file system at start: beta runs, its service off, and says why.
        pair.terminate(.beta)
        let readOnly = try Repository.run("/bin/mount", ["-o", "remount,ro", state])
        XCTAssertEqual(readOnly.status, 0, readOnly.stderr)
        defer { _ = try? Repository.run("/bin/mount", ["-o", "remount,rw", state]) }
        try pair.start(.beta)
        try await pair.waitUntil("beta says its state is not writable", timeout: 10) { self.notWritable(pair, .beta) }
        let status = try pair.admin(.beta, ["status"]).stdout
        XCTAssertTrue(status.contains("Read-only file system"), status)
        XCTAssertTrue(pair.log(.beta).contains("starting with the service off"), pair.log(.beta))
        XCTAssertTrue(pair.isAgentRunning(.beta), pair.log(.beta))
        let betaServes = await pair.serving(.beta)
        XCTAssertFalse(betaServes)
        XCTAssertEqual(pair.status(.alpha)?.state, "active")
    }

    /// alpha's database is deleted under its running agent (its writes would go to a file
    /// nobody can open again): the state check fails, alpha hands its service to beta, and
    /// status says what happened and what to do. Restarted, alpha says its state was lost
    /// and stops whatever service it may still run before deciding anew.
    func testADatabaseDeletedUnderTheRunningAgentIsAFailingStateCheck() async throws {
        let pair = try PairFixture()
        self.pair = pair
        try await pair.startPair()
        let database = pair.directory.file("state-alpha/vacataire.sqlite")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        try await pair.waitUntil("alpha's state check fails", timeout: 15) { self.notWritable(pair, .alpha) }
        let why = pair.statusObject(.alpha)?["stateNotWritable"] as? String ?? ""
        XCTAssertTrue(why.contains("the database was deleted under the running agent"), why)
        XCTAssertTrue(why.contains("restart the agent"), why)
        try await pair.waitUntil("beta serves", timeout: 20) { await pair.serving(.beta) }
        try await pair.waitUntil("alpha stops its service", timeout: 10) { !(await pair.serving(.alpha)) }

        XCTAssertEqual(pair.terminate(.alpha), 0, pair.logs)
        try pair.start(.alpha)
        try await pair.waitUntil("alpha says its state was lost", timeout: 10) {
            pair.log(.alpha).contains("was missing although this node ran before")
        }
        try await pair.waitUntil("alpha decides", timeout: 15) { pair.status(.alpha)?.state == "standby" }
        let events = try pair.admin(.alpha, ["events"]).stdout
        XCTAssertTrue(events.contains("state lost:"), events)
        XCTAssertTrue(events.contains("the role before the restart is unknown"), events)
        let betaServes = await pair.serving(.beta)
        let alphaServes = await pair.serving(.alpha)
        XCTAssertTrue(betaServes, pair.logs)
        XCTAssertFalse(alphaServes, pair.logs)
    }

    /// The example layout keeps the control socket inside the state directory. Restarted on
    /// a read-only state directory, alpha cannot open its socket there: it runs without it
    /// (saying so) instead of exiting, with its service off, and beta serves.
    func testARestartOnAReadOnlyStateDirectoryHoldingTheControlSocketRunsWithTheServiceOff() async throws {
        let pair = try PairFixture()
        self.pair = pair
        let state = try smallStateDirectory(pair, .alpha)
        try await pair.startPair()
        XCTAssertEqual(pair.terminate(.alpha), 0, pair.logs)
        let remounted = try Repository.run("/bin/mount", ["-o", "remount,ro", state])
        XCTAssertEqual(remounted.status, 0, remounted.stderr)
        try pair.start(.alpha)
        try await pair.waitUntil("alpha says it runs without its control socket", timeout: 10) {
            pair.log(.alpha).contains("running without it: `vacataire status` and the other commands cannot reach this agent")
        }
        try await pair.waitUntil("beta serves", timeout: 30) { await pair.serving(.beta) }
        XCTAssertTrue(pair.isAgentRunning(.alpha), "alpha's agent exited:\n\(pair.log(.alpha))")
        let alphaServes = await pair.serving(.alpha)
        XCTAssertFalse(alphaServes, pair.logs)
        XCTAssertTrue(pair.log(.alpha).contains("the state directory takes no writes"), pair.log(.alpha))
    }
}
