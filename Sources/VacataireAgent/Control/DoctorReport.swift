import VacataireCore

/// `vacataire doctor`: what only a running pair can show, gathered by the agent
/// (`FailoverAgent.doctor`), judged here, one line each: `ok` or `FIX` with what to do.
struct DoctorReport: Sendable {
    /// One configured peer address and what came from it.
    struct Path: Sendable {
        var address: String
        /// Time since its last valid message; nil when none came since the start.
        var heardAgo: Duration?
        /// The last failure sending on it (no route, connection refused).
        var sendFailure: String?
    }

    var node: String
    var peer: String
    var deadAfter: Duration
    var paths: [Path]
    /// Datagrams refused by reason (`bad-mac`, `clock-skew`, ...), since the start.
    var rejections: [String: Int]
    /// The witness's answer: nil when none is configured; `ok` and what the probe said.
    var witness: (url: String, ok: Bool, detail: String)?
    /// The peer's service as `service_probe` sees it, and the peer's role as last heard.
    var serviceProbe: (url: String, ok: Bool, detail: String)?
    var peerRole: String?
    /// Each destination's answer to a test notification (`DeliveryOutcome.line`).
    var destinations: [(ok: Bool, line: String)]

    var lines: [String] {
        var lines: [String] = []
        let keyRefused = (rejections["bad-mac"] ?? 0) + (rejections["unknown-key"] ?? 0)
        let skewed = rejections["clock-skew"] ?? 0
        for path in paths {
            if let age = path.heardAgo, age < deadAfter {
                lines.append("ok   peer \(peer) via \(path.address): heard \(age.humanSeconds) ago, authenticated with the key")
                continue
            }
            var why = path.heardAgo.map { "nothing valid for \($0.humanSeconds)" } ?? "nothing valid heard since this agent started"
            if keyRefused > 0 {
                why += "; \(keyRefused) datagram(s) refused for their key since this agent started (bad MAC or unknown key id): put the same peer.key on both nodes, then `systemctl reload vacataire`"
            } else if skewed > 0 {
                why += "; \(skewed) datagram(s) refused as too old or too new since this agent started: the clocks differ, check NTP on both nodes"
            } else if let failure = path.sendFailure {
                why += "; sending there fails (\(failure)): check the address, the route and the firewall (UDP)"
            } else {
                why += ": is \(peer)'s agent running (`systemctl status vacataire` there), and does UDP pass both ways?"
            }
            lines.append("FIX  peer \(peer) via \(path.address): \(why)")
        }
        if skewed == 0, paths.contains(where: { $0.heardAgo.map { $0 < deadAfter } ?? false }) {
            lines.append("ok   clocks: \(peer)'s messages arrive within the link's tolerance")
        } else if skewed > 0, keyRefused == 0 {
            lines.append("FIX  clocks: \(skewed) of \(peer)'s datagrams were refused for their time: check NTP on both nodes")
        }
        if let witness {
            lines.append(witness.ok
                ? "ok   witness \(witness.url): \(witness.detail)"
                : "FIX  witness \(witness.url): \(witness.detail): a standby that cannot reach it never takes over; check the address and the firewall")
        }
        if let probe = serviceProbe {
            if probe.ok {
                lines.append("ok   service_probe \(probe.url): \(probe.detail)")
            } else if peerRole == "active" {
                lines.append("FIX  service_probe \(probe.url): \(probe.detail), although \(peer) serves: the URL must be \(peer)'s service as clients reach it")
            } else if let peerRole {
                lines.append("ok   service_probe \(probe.url): no answer, as expected: \(peer) does not serve (\(peerRole))")
            } else {
                lines.append("note service_probe \(probe.url): no answer, and \(peer) is not heard: whether it should answer is unknown")
            }
        }
        if destinations.isEmpty {
            lines.append("FIX  notify: no destination: nobody will be paged; add notify.email or notify.snmp")
        }
        for destination in destinations {
            lines.append(destination.ok ? "ok   \(destination.line) (a test notification)" : "FIX  \(destination.line)")
        }
        return lines
    }

    var healthy: Bool { !lines.contains { $0.hasPrefix("FIX") } }
}
