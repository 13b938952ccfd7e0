import Foundation

extension OCFResource {
    /// The keys that describe an agent, besides an action's `timeout`.
    static let keys = ["ocf", "params", "name", "ocf_root"]

    /// Reads `ocf: PROVIDER:TYPE`, `params`, the instance's name (`name`; a check's own
    /// `name` is the check's, so a check writes `instance`) and `ocf_root` from an
    /// action's, a resource's or a check's mapping. The agent must exist: a missing one is
    /// a problem that says which package installs it.
    static func read(_ reader: ConfigReader, base: String, instanceKey: String = "name") -> OCFResource? {
        let agent = reader.required("ocf", String.self)
        let name = reader.optional(instanceKey, String.self)
        let root = reader.optional("ocf_root", String.self).map { Config.resolve($0, base: base) }
        let parameters = readParameters(reader)
        if let name, !NodeIdentity.isIdentifier(name) {
            reader.problem(instanceKey, "expected letters, digits, `-`, `_` or `.` (1 to 64 of them), found `\(name)`")
        }
        guard let agent else { return nil }
        let parts = agent.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy(isAgentWord) else {
            reader.problem("ocf", "expected PROVIDER:TYPE of an OCF resource agent, such as heartbeat:nginx, found `\(agent)`")
            return nil
        }
        let resource = OCFResource(
            root: root ?? defaultRoot, provider: parts[0], type: parts[1], instance: name, parameters: parameters ?? [:],
            origin: ConfigOrigin(key: reader.keyPath("ocf"), line: reader.mark(of: "ocf")?.line))
        if !FileManager.default.isExecutableFile(atPath: resource.agentPath) {
            let exists = FileManager.default.fileExists(atPath: resource.agentPath)
            let fix = root == nil
                ? "install Debian's resource agents (apt-get install resource-agents), or check the PROVIDER:TYPE"
                : "check `ocf_root` and the PROVIDER:TYPE"
            reader.problem("ocf", exists
                ? "the resource agent \(resource.agentPath) is not executable; run `chmod +x \(resource.agentPath)`"
                : "no resource agent \(agent) at \(resource.agentPath); \(fix)")
            return nil
        }
        guard parameters != nil, name.map(NodeIdentity.isIdentifier) ?? true else { return nil }
        return resource
    }

    /// `params:`, a mapping of parameter names to text; nil (with problems) when malformed.
    static func readParameters(_ reader: ConfigReader) -> [String: String]? {
        guard reader.has("params") else { return [:] }
        guard let mapping = reader.mapping("params") else {
            reader.problem("params", "expected a mapping of the agent's parameters, such as {configfile: /etc/nginx/nginx.conf}")
            return nil
        }
        var parameters: [String: String] = [:]
        var valid = true
        for name in mapping.pairs.map(\.key) {
            guard isParameterName(name) else {
                mapping.problem(name, "a parameter's name has letters, digits and `_` only (it becomes OCF_RESKEY_\(name)), found `\(name)`")
                _ = mapping.has(name)
                valid = false
                continue
            }
            if let value = mapping.optional(name, String.self) {
                parameters[name] = value
            } else {
                valid = false
            }
        }
        mapping.finish()
        return valid ? parameters : nil
    }

    /// Marks every agent key known, so that a mapping refused as a whole is reported once.
    static func markKnown(_ reader: ConfigReader) {
        for key in keys { _ = reader.has(key) }
    }

    /// A provider or type: letters, digits, `-`, `_` and `.`, not a path.
    static func isAgentWord(_ word: String) -> Bool {
        NodeIdentity.isIdentifier(word) && word != "." && word != ".."
    }
}
