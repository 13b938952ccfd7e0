import Foundation

extension FailoverConfig {
    /// What a start, stop or status action runs, and how long it may take in all.
    ///
    /// A shell command runs through `/bin/sh -c` and an OCF resource agent with the action
    /// as its argument; either is killed (with its process group) after `timeout`. The
    /// resources of `failover.resources` run as one action: started in order, stopped in
    /// reverse (`ResourceSequence`), each with its own timeouts; `timeout` is then the
    /// longest the whole sequence may take.
    public struct ActionCommand: Sendable, Equatable {
        /// What runs.
        public enum Program: Sendable, Equatable {
            /// `command: TEXT`, run by `/bin/sh -c`.
            case shell(String)
            /// `ocf: PROVIDER:TYPE` with `params`: the agent called with the action.
            case ocf(OCFResource)
            /// `failover.resources`: each resource's agent, in order.
            case resources([Resource])
        }

        public var program: Program
        public var timeout: ConfigDuration

        public init(program: Program, timeout: ConfigDuration) {
            self.program = program
            self.timeout = timeout
        }

        /// A shell command.
        public init(command: String, timeout: ConfigDuration) {
            self.init(program: .shell(command), timeout: timeout)
        }

        /// The OCF agents this action calls, in order.
        public var agents: [OCFResource] {
            switch program {
            case .shell: return []
            case .ocf(let resource): return [resource]
            case .resources(let resources): return resources.map(\.ocf)
            }
        }

        /// How a timing rule names this action's timeout: `actions.start.timeout (30s)`, or,
        /// for resources, the sum it is made of.
        func timeoutText(_ action: String) -> String {
            guard case .resources = program else { return "actions.\(action).timeout (\(timeout))" }
            let sum = action == "start" ? "every start_timeout and stop_timeout" : "every stop_timeout"
            return "the resources' \(action) (\(sum) of failover.resources: \(timeout))"
        }
    }

    /// One of `failover.resources`: an OCF resource and its start and stop timeouts.
    public struct Resource: Sendable, Equatable {
        public var ocf: OCFResource
        public var startTimeout: ConfigDuration
        public var stopTimeout: ConfigDuration

        public init(ocf: OCFResource, startTimeout: ConfigDuration = Resource.defaultTimeout, stopTimeout: ConfigDuration = Resource.defaultTimeout) {
            self.ocf = ocf
            self.startTimeout = startTimeout
            self.stopTimeout = stopTimeout
        }

        /// Pacemaker's default for an operation without a timeout of its own.
        public static let defaultTimeout = ConfigDuration(seconds: 20)

        /// The longest a start of `resources` takes: every start, then (the last one
        /// failing) every stop that undoes them.
        public static func startTimeout(_ resources: [Resource]) -> ConfigDuration {
            ConfigDuration(seconds: resources.reduce(0) { $0 + $1.startTimeout.seconds + $1.stopTimeout.seconds })
        }

        /// The longest a stop of `resources` takes: every stop.
        public static func stopTimeout(_ resources: [Resource]) -> ConfigDuration {
            ConfigDuration(seconds: resources.reduce(0) { $0 + $1.stopTimeout.seconds })
        }
    }

    /// The resources of `failover.resources`, in start order (empty with `actions`).
    public var resources: [Resource] {
        if case .resources(let resources) = start.program { return resources }
        return []
    }

    /// The service's actions: `actions` (start, stop, status: each a command or an agent),
    /// or `resources` (an ordered list of agents whose start and stop are the actions).
    static func readActions(_ reader: ConfigReader, base: String) -> (start: ActionCommand?, stop: ActionCommand?, status: ActionCommand?) {
        if reader.has("resources") {
            if reader.has("actions") {
                reader.problem("actions", "give either `actions` (start and stop commands or agents) or `resources` (OCF agents started in order, stopped in reverse), not both")
            }
            guard let resources = readResources(reader, base: base) else { return (nil, nil, nil) }
            let start = ActionCommand(program: .resources(resources), timeout: Resource.startTimeout(resources))
            let stop = ActionCommand(program: .resources(resources), timeout: Resource.stopTimeout(resources))
            return (start, stop, nil)
        }
        let actions = reader.mapping("actions")
        if !reader.has("actions") {
            reader.problem("actions", "missing; expected a mapping with `start` and `stop` (each a `command` or an `ocf` agent), or `resources` (a list of OCF agents)")
        }
        let start = actions.flatMap { readCommand($0, "start", required: true, defaultTimeout: 30, base: base) }
        let stop = actions.flatMap { readCommand($0, "stop", required: true, defaultTimeout: 10, base: base) }
        let status = actions.flatMap { readCommand($0, "status", required: false, defaultTimeout: 5, base: base) }
        actions?.finish()
        return (start, stop, status)
    }

    /// `resources:`, a list of `{ocf, params, name, ocf_root, start_timeout, stop_timeout}`.
    static func readResources(_ reader: ConfigReader, base: String) -> [Resource]? {
        var complete = true
        let resources = reader.list("resources") { item -> Resource? in
            let startTimeout = item.duration("start_timeout", default: Resource.defaultTimeout, within: ConfigDuration.actionTimeout)
            let stopTimeout = item.duration("stop_timeout", default: Resource.defaultTimeout, within: ConfigDuration.actionTimeout)
            guard let ocf = OCFResource.read(item, base: base) else {
                complete = false
                return nil
            }
            return Resource(ocf: ocf, startTimeout: startTimeout, stopTimeout: stopTimeout)
        }
        var seen: Set<String> = []
        for resource in resources where !seen.insert(resource.ocf.instance).inserted {
            reader.problem("resources", "two resources are named `\(resource.ocf.instance)` (OCF_RESOURCE_INSTANCE); give each its own `name`")
        }
        if complete, resources.isEmpty {
            reader.problem("resources", "expected at least one resource, such as `- {ocf: heartbeat:nginx, params: {configfile: /etc/nginx/nginx.conf}}`")
        }
        return complete && !resources.isEmpty ? resources : nil
    }

    /// An action's mapping: `{command, timeout}` or `{ocf, params, name, ocf_root, timeout}`.
    static func readCommand(_ reader: ConfigReader, _ key: String, required: Bool, defaultTimeout: Double, base: String) -> ActionCommand? {
        guard let actionReader = reader.mapping(key) else {
            if required, !reader.has(key) {
                reader.problem(key, "missing; expected a mapping with `command` (a shell command) or `ocf` (a resource agent, PROVIDER:TYPE), and `timeout`")
            }
            return nil
        }
        defer { actionReader.finish() }
        let timeout = actionReader.duration("timeout", default: ConfigDuration(seconds: defaultTimeout), within: ConfigDuration.actionTimeout)
        switch (actionReader.has("command"), actionReader.has("ocf")) {
        case (true, true):
            OCFResource.markKnown(actionReader)
            actionReader.problem("ocf", "give either `command` (a shell command) or `ocf` (a resource agent), not both")
            return nil
        case (false, false):
            actionReader.problem("command", "missing; expected `command` (a shell command) or `ocf` (a resource agent, PROVIDER:TYPE such as heartbeat:nginx)")
            return nil
        case (true, false):
            for ocfKey in OCFResource.keys where ocfKey != "ocf" && actionReader.has(ocfKey) {
                actionReader.problem(ocfKey, "only an `ocf` agent takes `\(ocfKey)`; a `command` gets its settings in its own text")
            }
            let command = actionReader.required("command", String.self)
            if let command, command.trimmingCharacters(in: .whitespaces).isEmpty { actionReader.problem("command", "must not be empty") }
            return command.map { ActionCommand(command: $0, timeout: timeout) }
        case (false, true):
            return OCFResource.read(actionReader, base: base).map { ActionCommand(program: .ocf($0), timeout: timeout) }
        }
    }

    /// A flat mapping with a shell command and its timeout side by side (the fence).
    static func readShellCommand(_ reader: ConfigReader, _ key: String, defaultTimeout: Double, timeoutKey: String) -> ActionCommand? {
        let command = reader.required(key, String.self)
        let timeout = reader.duration(timeoutKey, default: ConfigDuration(seconds: defaultTimeout), within: ConfigDuration.actionTimeout)
        if let command, command.trimmingCharacters(in: .whitespaces).isEmpty { reader.problem(key, "must not be empty") }
        return command.map { ActionCommand(command: $0, timeout: timeout) }
    }
}
