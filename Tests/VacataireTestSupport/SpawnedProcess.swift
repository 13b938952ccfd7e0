import Foundation

/// A child process owned by a test, started with `posix_spawn`, its output in files,
/// reaped with `waitpid`, and always stopped (at the latest when released).
///
/// Foundation's `Process` hands its children the test runner's blocked signal mask (so
/// SIGTERM does not stop them) and reaps them on its own schedule; tests that start the
/// daemon, stop it and read its exit status need neither surprise. The child gets default
/// signal handling, an empty mask and a process group of its own, so `stop()` ends it
/// together with whatever it started.
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    /// What the process is called in errors ("snmptrapd", "alpha").
    public let name: String
    public let stdoutPath: String
    public let stderrPath: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` as `name`, its output in `workDirectory/NAME.stdout` and
    /// `.stderr`; throws a `FixtureError` naming the Debian package to install (`install`)
    /// when the executable is missing.
    public convenience init(
        name: String, executable: String, arguments: [String], workDirectory: String,
        install: String, environment: [String: String]? = nil
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw FixtureError("\(name) needs \(executable), which is missing: apt-get install \(install)")
        }
        try self.init(
            executable: executable, arguments: arguments, environment: environment,
            stdoutPath: "\(workDirectory)/\(name).stdout", stderrPath: "\(workDirectory)/\(name).stderr", name: name)
    }

    public init(
        executable: String, arguments: [String], environment: [String: String]? = nil,
        stdoutPath: String, stderrPath: String, name: String? = nil
    ) throws {
        self.name = name ?? (executable as NSString).lastPathComponent
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let environment = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child = pid_t()
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw FixtureError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    deinit {
        stop()
    }

    public var output: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var errors: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits until `condition` holds, polling; throws with the process's output if it
    /// exits or the time runs out first.
    public func wait(for what: String, timeout: TimeInterval = 15, until condition: () -> Bool) throws {
        var exited: Int32?
        let held = Wait.until(timeout: timeout, every: 0.02) {
            if condition() { return true }
            exited = terminationStatus
            return exited != nil
        }
        if held, exited == nil { return }
        if let exited {
            throw FixtureError("\(name) exited (status \(exited)) before \(what):\n\(output)\n\(errors)")
        }
        throw FixtureError("\(name) did not reach \(what) within \(timeout) s:\n\(output)\n\(errors)")
    }

    /// Whether the child still runs; reaps it when it has ended.
    public var isRunning: Bool {
        reap(blocking: false) == nil
    }

    /// The exit status (128 + signal when killed), once it has ended.
    public var terminationStatus: Int32? {
        reap(blocking: false)
    }

    /// Waits for the child to end and returns its exit status.
    @discardableResult
    public func waitUntilExit() -> Int32 {
        reap(blocking: true) ?? -1
    }

    /// Sends `signal` to the child's process group.
    public func signal(_ signal: Int32) {
        if isRunning { kill(-pid, signal) }
    }

    /// Stops the child (SIGTERM, then SIGKILL to its group after `grace` seconds) and reaps it.
    public func stop(grace: TimeInterval = 2) {
        guard isRunning else { return }
        kill(-pid, SIGTERM)
        _ = Wait.until(timeout: grace, every: 0.01) { !isRunning }
        if isRunning { kill(-pid, SIGKILL) }
        waitUntilExit()
    }

    private func reap(blocking: Bool) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        var result: pid_t
        repeat {
            result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        } while result < 0 && errno == EINTR
        guard result == pid else { return nil }
        let signalled = status & 0x7f
        exitStatus = signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
        return exitStatus
    }
}
