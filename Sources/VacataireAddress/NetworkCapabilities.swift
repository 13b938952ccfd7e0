import Foundation

/// The two capabilities floating addresses need, as this process holds them: CAP_NET_ADMIN
/// (add and remove addresses) and CAP_NET_RAW (announce and probe from a packet socket).
public enum NetworkCapabilities {
    /// The capabilities among the two that this process lacks (its effective set, read from
    /// /proc/self/status), by name; empty when it holds both.
    public static func missing(status: String = "/proc/self/status") -> [String] {
        guard let text = try? String(contentsOfFile: status, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let bits = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return ["CAP_NET_ADMIN", "CAP_NET_RAW"] }
        // linux/capability.h: CAP_NET_ADMIN is 12, CAP_NET_RAW 13.
        return [(12, "CAP_NET_ADMIN"), (13, "CAP_NET_RAW")].filter { bits & (1 << $0.0) == 0 }.map(\.1)
    }

    /// Why this process cannot move floating addresses, in one sentence, or nil.
    public static func problem() -> String? {
        let missing = missing()
        guard !missing.isEmpty else { return nil }
        return "failover.addresses: this process lacks \(missing.joined(separator: " and ")), which floating addresses need "
            + "(CAP_NET_ADMIN to add and remove them, CAP_NET_RAW to announce and probe them); run as root, or grant them "
            + "(AmbientCapabilities= in the unit, Docs/addresses.md)"
    }
}
