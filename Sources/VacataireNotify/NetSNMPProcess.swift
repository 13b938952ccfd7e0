import Foundation
import VacataireCore

/// Net-SNMP's process-wide set-up for the library's other user in the daemon, the AgentX
/// subagent: the same set-up the trap sender makes (persistent files under the state
/// directory, this agent's engine id, no configuration files, the library's log silenced),
/// made once by whichever comes first. The subagent adds its agent library on top of it.
public enum NetSNMPProcess {
    public static func setUp(config: Config) throws(DeliveryError) {
        let engine = try SNMPEngineIdentity.load(config)
        try NetSNMPLibrary.setUp(persistentDirectory: SNMPEngineIdentity.directory(stateDirectory: config.stateDirectory), engineID: engine.id)
    }
}
