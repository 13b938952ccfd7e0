import Foundation
import VacataireCore

/// The process group of the last start action that ran, which is where a service started
/// in the background (`service >/dev/null 2>&1 &`) lives unless it leaves it (`setsid`).
///
/// When the stop action cannot be started at all (no descriptor, no memory, no shell),
/// even after retries, this group is what can still be stopped without it: SIGTERM, then
/// SIGKILL.
///
/// Guarded by an `NSLock`, which ThreadSanitizer follows (see `ConnectionSlots`).
public final class StartedServiceGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var unguardedLeader: pid_t?

    private func withLeader<Result>(_ body: (inout pid_t?) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&unguardedLeader)
    }

    public init() {}

    /// The start action was launched with this pid, its process group's id.
    func started(_ pid: pid_t) {
        withLeader { $0 = pid }
    }

    /// The group's id while some process of it still runs (zombies, which no signal can
    /// end and which an init that does not reap may keep for long, do not count).
    var running: pid_t? {
        withLeader { leader in
            guard let pid = leader else { return nil }
            if Self.hasLiveMember(group: pid) { return pid }
            leader = nil
            return nil
        }
    }

    /// Whether /proc lists a process of process group `group` that is not a zombie.
    static func hasLiveMember(group: pid_t) -> Bool {
        guard Glibc.kill(-group, 0) == 0 || errno == EPERM else { return false }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in names where name.first?.isNumber == true {
            guard let stat = ProcFile.read("/proc/\(name)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (comm) ": state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, fields[2] == "\(group)", fields[0] != "Z" { return true }
        }
        return false
    }

    /// Sends SIGTERM to the group, waits up to `grace` for it to end, then SIGKILL; says what it did.
    func terminate(clock: any AgentClock, grace: Duration) async -> String {
        guard let pid = running else { return "no process of the start action's group runs any more" }
        _ = Glibc.kill(-pid, SIGTERM)
        let deadline = clock.now + grace
        while clock.now < deadline {
            try? await clock.sleep(for: .milliseconds(50))
            if running == nil { return "SIGTERM ended the start action's process group \(pid)" }
        }
        _ = Glibc.kill(-pid, SIGKILL)
        try? await clock.sleep(for: .milliseconds(100))
        return running == nil
            ? "SIGKILL ended the start action's process group \(pid) (SIGTERM did not within \(grace.humanSeconds))"
            : "the start action's process group \(pid) survives SIGKILL"
    }
}
