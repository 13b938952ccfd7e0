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
        let plan = ReloadPlan(running: config, runningFailover: failover, fresh: fresh, freshFailover: newFailover)
        if let refusal = plan.refusal {
            logger.error("reload refused, the running configuration stays: \(path): \(refusal)")
            record(.agent, reason: "reload of \(path) refused: \(refusal)")
            return
        }
        var applied = plan.applied
        // The key files are read again even when the configuration names the same ones:
        // replacing a key's file and sending SIGHUP is how an operator rotates it in place.
        if let link {  // mode etcd has no peer keys
            do {
                let keyring = try PeerKeyring.load(newFailover)
                startEffect { await link.replaceKeyring(keyring) }
                let ids = keyring.keyIDs.map(String.init).joined(separator: ", ")
                applied.append((plan.keysChanged ? "peer keys " : "peer keys re-read from their files: ") + "\(ids) (active \(newFailover.activeKey))")
            } catch {
                logger.error("reload refused, the running configuration stays: \(error)")
                return
            }
        }
        let restart = plan.needsRestart
        let outbox = outbox
        let sender = NotificationSender(config: fresh, templates: templates, clock: clock)
        startEffect { await outbox.replace(sender: sender, settings: fresh.outbox) }
        failover = plan.failover
        prober = GuardProber(plan.failover, settings: plan.failover.settings(nodeName: plan.config.node.name))
        config = plan.config
        configWarnings = Self.warnings(config)
        for warning in configWarnings { logger.warning("configuration warning: \(warning)") }
        let sentence = "configuration reloaded from \(path), role kept (\(coordinator.stateName.rawValue), epoch \(coordinator.epoch)); "
            + "applied: \(applied.joined(separator: ", "))"
            + (restart.isEmpty ? "" : "; needs a restart to apply: \(restart.joined(separator: ", "))")
        logger.notice("\(sentence)")
        record(.agent, reason: sentence)
    }
}
