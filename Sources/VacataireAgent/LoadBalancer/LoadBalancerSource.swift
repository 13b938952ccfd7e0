/// What the HTTP endpoint and the agent-check responder ask the agent. `FailoverAgent`
/// answers; tests of the servers' HTTP and TCP behaviour answer with a fixed state.
protocol LoadBalancerSource: Sendable {
    func servingVerdict() async -> ServingVerdict
    func status() async -> AgentStatus
    func metricsText() async -> String
}

extension FailoverAgent: LoadBalancerSource {}
