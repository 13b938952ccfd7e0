import Foundation
import VacataireCore
import VacataireNotify
import VacatairePeer

extension FailoverAgent {
    /// SIGHUP: reads the configuration file again and applies what can change without a
    /// restart, keeping the role, the epoch and the open incidents. A file with problems is
    /// refused as a whole (the running configuration stays); settings that shape the state
    /// machine or the sockets are named in the log as needing a restart.
    public func reload() {
        let path = config.file
        let fresh: Config
        let templates: TemplateSet
        do {
            fresh = try Config.load(path: path)
            templates = try TemplateSet(defaults: TemplateSet.defaultDirectory(), overrides: fresh.templatesDirectory)
        } catch {
            logger.error("reload refused, the running configuration stays: \(error)")
            record(.agent, reason: "reload of \(path) refused: the file has problems (see the log)")
            return
        }
        guard let newFailover = fresh.failover else {
            logger.error("reload refused, the running configuration stays: \(path) has no `failover:` section")
            return
        }
        let sameMachine = newFailover.settings == failover.settings
        var applied = ["notifications, templates and outbox retries", "actions"] + (sameMachine ? ["split-brain guard"] : [])
        if newFailover.keys != failover.keys || newFailover.activeKey != failover.activeKey {
            do {
                let keyring = try PeerKeyring.load(
                    newFailover.keys.map { PeerKeyFile(id: $0.id, path: $0.file) }, activeKeyID: newFailover.activeKey)
                let link = link
                startEffect { await link.replaceKeyring(keyring) }
                applied.append("peer keys \(keyring.keyIDs.map(String.init).joined(separator: ", ")) (active \(newFailover.activeKey))")
            } catch {
                logger.error("reload refused, the running configuration stays: \(error)")
                return
            }
        }
        var restart: [String] = []
        if fresh.checks != config.checks { restart.append("checks") }
        if fresh.node != config.node { restart.append("node") }
        if fresh.control != config.control { restart.append("control") }
        if fresh.stateDirectory != config.stateDirectory { restart.append("state_dir") }
        if newFailover.settings != failover.settings { restart.append("failover roles and timings") }
        if newFailover.listen != failover.listen || newFailover.peer != failover.peer { restart.append("peer addresses and listen") }

        let outbox = outbox
        let sender = NotificationSender(config: fresh, templates: templates)
        startEffect { await outbox.replace(sender: sender, settings: fresh.outbox) }
        var kept = newFailover
        kept.role = failover.role
        kept.peer = failover.peer
        kept.listen = failover.listen
        kept.heartbeatInterval = failover.heartbeatInterval
        kept.deadAfter = failover.deadAfter
        kept.selfFenceAfter = failover.selfFenceAfter
        kept.handoffTimeout = failover.handoffTimeout
        kept.handoffRetries = failover.handoffRetries
        if !sameMachine {
            // The machine knows which guard parts exist; they change together with it.
            kept.witness = failover.witness
            kept.serviceProbe = failover.serviceProbe
            kept.fence = failover.fence
            kept.noWitness = failover.noWitness
        }
        failover = kept
        prober = GuardProber(kept)
        let checks = config.checks
        config = fresh
        config.checks = checks
        let sentence = "configuration reloaded from \(path), role kept (\(machine.stateName.rawValue), epoch \(machine.epoch)); "
            + "applied: \(applied.joined(separator: ", "))"
            + (restart.isEmpty ? "" : "; needs a restart to apply: \(restart.joined(separator: ", "))")
        logger.notice("\(sentence)")
        record(.agent, reason: sentence)
    }
}
