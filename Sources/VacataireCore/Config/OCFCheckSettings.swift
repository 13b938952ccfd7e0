/// `kind: ocf`: an OCF resource agent's `monitor`, with `OCF_RESKEY_CRM_meta_interval` set
/// to the check's interval. Exit 0 is healthy; 7 (not running) and every other code fail.
///
/// The agent is written like an action's (`ocf`, `params`, `ocf_root`; the instance's
/// name is `instance`, the type by default), or taken from `failover.resources` by its
/// name (`resource: web`), so that the monitor sees the parameters the start was given.
public struct OCFCheckSettings: Sendable, Equatable {
    public var resource: OCFResource

    public init(resource: OCFResource) {
        self.resource = resource
    }

    static func read(_ reader: ConfigReader, base: String, resources: [FailoverConfig.Resource]) -> OCFCheckSettings? {
        if reader.has("resource") {
            guard let name = reader.required("resource", String.self) else { return nil }
            for key in OCFResource.keys where key != "name" && reader.has(key) {
                reader.problem(key, "`resource: \(name)` takes the agent and its parameters from failover.resources; remove `\(key)`")
            }
            _ = reader.has("instance")
            guard let found = resources.first(where: { $0.ocf.instance == name }) else {
                let known = resources.map(\.ocf.instance)
                reader.problem("resource", known.isEmpty
                    ? "no failover.resources to take `\(name)` from; write the agent here (`ocf: PROVIDER:TYPE`, `params`) or list it under failover.resources"
                    : "no resource named `\(name)` in failover.resources (\(known.joined(separator: ", ")))")
                return nil
            }
            var resource = found.ocf
            resource.origin = ConfigOrigin(key: reader.keyPath("resource"), line: reader.mark(of: "resource")?.line)
            return OCFCheckSettings(resource: resource)
        }
        guard reader.has("ocf") else {
            reader.problem("kind", "an ocf check needs `ocf: PROVIDER:TYPE` (with `params`), or `resource: NAME` of failover.resources")
            for key in ["params", "ocf_root", "instance"] { _ = reader.has(key) }
            return nil
        }
        return OCFResource.read(reader, base: base, instanceKey: "instance").map(OCFCheckSettings.init)
    }
}
