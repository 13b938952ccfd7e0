import Foundation
import VacataireCore

/// This agent's own SNMP engine: its id and its boot count (RFC 3414 snmpEngineBoots).
///
/// The id is `snmp_engine_id` from the configuration, or else generated once and kept in
/// `STATE/snmp/engine-id`, so that it survives restarts: receivers of SNMPv3 traps are
/// configured with it. The boot count goes up by one each time the agent sets SNMP up and
/// is kept in `STATE/snmp/engine-boots`, so a receiver never sees time run backwards.
public struct SNMPEngineIdentity: Sendable, Equatable {
    /// Where the id came from, for `check-config` and status.
    public enum Source: Sendable, Equatable {
        case configured
        case stored(path: String)
        case generated(path: String)
    }

    public var id: SNMPEngineID
    public var source: Source
    public var boots: UInt

    public static func directory(stateDirectory: String) -> String { "\(stateDirectory)/snmp" }
    public static func idFile(stateDirectory: String) -> String { "\(directory(stateDirectory: stateDirectory))/engine-id" }
    static func bootsFile(stateDirectory: String) -> String { "\(directory(stateDirectory: stateDirectory))/engine-boots" }

    /// One line for `check-config`, without creating anything.
    public static func describe(_ config: Config) -> String {
        let file = idFile(stateDirectory: config.stateDirectory)
        if let configured = config.snmpEngineID {
            return "snmp engine id \(configured) (snmp_engine_id)"
        }
        if let stored = try? readID(file) {
            return "snmp engine id \(stored) (generated, kept in \(file))"
        }
        return "snmp engine id: generated at the first start and kept in \(file) (or set snmp_engine_id)"
    }

    /// The id (generating and storing it if needed) and the next boot count (stored).
    public static func load(_ config: Config) throws(DeliveryError) -> SNMPEngineIdentity {
        let state = config.stateDirectory
        let directory = directory(stateDirectory: state)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DeliveryError(.configuration, "cannot create \(directory) for the SNMP engine: \(error.localizedDescription)")
        }
        let idPath = idFile(stateDirectory: state)
        var identity: SNMPEngineIdentity
        if let configured = config.snmpEngineID {
            identity = SNMPEngineIdentity(id: configured, source: .configured, boots: 1)
        } else if let stored = try readID(idPath) {
            identity = SNMPEngineIdentity(id: stored, source: .stored(path: idPath), boots: 1)
        } else {
            let fresh = SNMPEngineID.random()
            try write("\(fresh)\n", to: idPath)
            identity = SNMPEngineIdentity(id: fresh, source: .generated(path: idPath), boots: 1)
        }
        // The count belongs to one id: a new id starts again at 1.
        let bootsPath = bootsFile(stateDirectory: state)
        let previous = (try? String(contentsOfFile: bootsPath, encoding: .utf8))?.split(separator: " ")
        if let previous, previous.count == 2, String(previous[0]) == identity.id.description,
           let count = UInt(previous[1].trimmingCharacters(in: .whitespacesAndNewlines)), count < 2_147_483_646 {
            identity.boots = count + 1
        }
        try write("\(identity.id) \(identity.boots)\n", to: bootsPath)
        return identity
    }

    /// The stored id, nil when there is no file yet; an unreadable or malformed file is an error.
    static func readID(_ path: String) throws(DeliveryError) -> SNMPEngineID? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DeliveryError(.configuration, "cannot read the SNMP engine id in \(path)")
        }
        switch SNMPEngineID.parse(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
        case .success(let id): return id
        case .failure(let error):
            throw DeliveryError(.configuration, "\(path): \(error.message); remove the file to generate a new id")
        }
    }

    private static func write(_ text: String, to path: String) throws(DeliveryError) {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw DeliveryError(.configuration, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
