import Foundation
import VacataireChecks
import VacataireCore

/// Runs the split-brain guard's probes with the check kinds' own code:
/// the witness by TCP connect or HTTP GET, the peer's service by HTTP GET, each bounded.
struct GuardProber: Sendable {
    var witness: FailoverConfig.Witness?
    var serviceProbe: URL?
    var timeout: Duration

    /// `settings`: the machine's, whose `guardProbeTimeout` bounds each probe.
    init(_ failover: FailoverConfig, settings: FailoverSettings) {
        witness = failover.witness
        serviceProbe = failover.serviceProbe
        timeout = settings.guardProbeTimeout
    }

    /// Probes what the machine asked for, concurrently; a part not asked stays nil.
    func probe(_ request: GuardProbe) async -> (report: GuardReport, detail: String) {
        async let witnessResult = request.witness ? probeWitness() : nil
        async let serviceResult = request.peerService ? probeService() : nil
        let (witnessOutcome, serviceOutcome) = await (witnessResult, serviceResult)
        var report = GuardReport()
        var details: [String] = []
        if let witnessOutcome {
            report.witnessReachable = witnessOutcome.status == .ok
            details.append("witness: \(witnessOutcome.message)")
        }
        if let serviceOutcome {
            report.peerServiceAnswers = serviceOutcome.status == .ok
            details.append("peer service: \(serviceOutcome.message)")
        }
        return (report, details.joined(separator: "; "))
    }

    private func probeWitness() async -> CheckResult {
        switch witness {
        case .tcp(let endpoint):
            return await TCPCheck(TCPCheckSettings(host: endpoint.host, port: endpoint.port)).run(timeout: timeout)
        case .http(let url):
            return await HTTPCheck(HTTPCheckSettings(url: url.absoluteString, expectStatus: 200...399)).run(timeout: timeout)
        case nil:
            return CheckResult(status: .unknown, message: "no witness configured")
        }
    }

    private func probeService() async -> CheckResult {
        guard let serviceProbe else {
            return CheckResult(status: .unknown, message: "no service_probe configured")
        }
        return await HTTPCheck(HTTPCheckSettings(url: serviceProbe.absoluteString, expectStatus: 200...399)).run(timeout: timeout)
    }
}
