import Foundation
import Logging
import VacataireCore
import VacataireStore

/// The agent under systemd (Docs/systemd.md): what `SystemdNotifier` is told, and the
/// event that shows the previous run ended without a clean stop (a watchdog restart).
extension FailoverAgent {
    /// The agent's role, epoch and peer, and when its tick last ran the state coordinator.
    func systemdProgress() -> SystemdNotifier.Progress {
        SystemdNotifier.Progress(
            state: coordinator.stateName, role: coordinator.role.told, epoch: coordinator.epoch, peerName: failover.peer.name,
            peerRole: coordinator.peerStatus(at: now()).role, lastTick: lastTick)
    }

    /// The journal fields of one decision's log line: `VACATAIRE_EVENT`,
    /// `VACATAIRE_INCIDENT` (when it belongs to one) and `VACATAIRE_EPOCH`.
    func decisionFields(_ event: String, incident: IncidentID?) -> Logger.Metadata {
        var fields: Logger.Metadata = ["event": "\(event)", "epoch": "\(coordinator.epoch)"]
        if let incident { fields["incident"] = "\(incident.description)" }
        return fields
    }

    /// Records an event when the previous run started and never recorded its stop: it was
    /// killed, crashed, or was restarted by systemd's watchdog because it was wedged.
    func recordUncleanPreviousStop() {
        guard let last = try? store.events(limit: 200).last(where: { $0.category == .agent }),
              last.reason.hasPrefix("agent started") else { return }
        let started = DateText.iso8601(last.time)
        let line = "the previous run (started \(started)) ended without stopping cleanly: killed, crashed, "
            + "or restarted by systemd's watchdog because its state machine made no progress"
        logger.warning("\(line)")
        record(.agent, reason: line)
    }

    /// Tells systemd (`$NOTIFY_SOCKET`) about readiness, status and liveness until cancelled;
    /// returns at once when the agent does not run under a `Type=notify` unit.
    nonisolated func notifySystemd(environment: [String: String] = ProcessInfo.processInfo.environment) async {
        guard let socket = SystemdNotifySocket(environment: environment) else { return }
        let watchdog = SystemdNotifier.watchdogPeriod(environment: environment, pid: getpid())
        var notifier = SystemdNotifier(watchdog: watchdog, stallAfter: watchdog.map { $0 / 2 } ?? .seconds(10))
        while !Task.isCancelled {
            // A wedged actor never answers here, so no ping leaves either.
            let progress = await systemdProgress()
            for line in notifier.update(progress, now: clock.now) {
                socket.send(line)
            }
            do { try await clock.sleep(for: notifier.pollInterval) } catch { break }
        }
        socket.send("STOPPING=1")
    }
}
