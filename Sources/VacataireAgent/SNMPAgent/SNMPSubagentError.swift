import VacataireCore

/// Why the AgentX subagent could not start, in a sentence an operator can act on. The
/// failover goes on without it.
struct SNMPSubagentError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
