import Foundation
import VacataireAddress

/// `failover.addresses` and their announcements: the addresses the serving node holds, for
/// operators with no load balancer. Read and checked by `read`; the kernel work is the
/// agent's (VacataireAddress), the decisions the failover machine's.
public struct FloatingAddressesConfig: Sendable, Equatable {
    public var addresses: [FloatingAddress]
    public var announce: AnnouncementPlan
    /// How long the duplicate-address probe waits for an answer, per address.
    public var probeTimeout: ConfigDuration

    static func read(_ reader: ConfigReader) -> FloatingAddressesConfig? {
        guard reader.has("addresses") else {
            if reader.has("announce") { reader.problem("announce", "only applies with `addresses`") }
            if reader.has("address_probe_timeout") { reader.problem("address_probe_timeout", "only applies with `addresses`") }
            return nil
        }
        var seen: Set<PrefixedAddress> = []
        let addresses = reader.list("addresses") { item -> FloatingAddress? in
            let text = item.required("address", String.self)
            let interface = item.required("interface", String.self)
            let label = item.optional("label", String.self)
            item.finish()
            guard let text, let interface else { return nil }
            do throws(FloatingAddressError) {
                let floating = try FloatingAddress(text, interface: interface, label: label)
                if !seen.insert(floating.address).inserted {
                    item.problem("address", "\(floating.address) is listed twice")
                }
                return floating
            } catch {
                item.problem(label != nil && error.description.contains("label") ? "label" : "address", error.description)
                return nil
            }
        }
        if addresses.isEmpty, reader.node("addresses").map({ !ConfigReader.isNull($0) }) ?? false {
            reader.problem("addresses", "expected at least one `{address: 198.51.100.100/24, interface: eth0}`")
        }
        let plan = reader.mapping("announce").map { announce -> AnnouncementPlan in
            let count = announce.optional("count", Int.self) ?? 5
            let interval = announce.duration("interval", default: ConfigDuration(milliseconds: 0), within: ConfigDuration(seconds: 0)...ConfigDuration(seconds: 10))
            let repeatAfter = announce.duration("repeat_after", default: ConfigDuration(seconds: 5), within: ConfigDuration(seconds: 0)...ConfigDuration(seconds: 3_600))
            let refresh = announce.optional("refresh", ConfigDuration.self)
            if !(1...100).contains(count) { announce.problem("count", "must be from 1 to 100, found \(count)") }
            if let refresh, refresh.seconds < 1 {
                announce.problem("refresh", "must be 1s or more (announcements every refresh while active), found \(refresh)")
            }
            announce.finish()
            return AnnouncementPlan(count: min(max(count, 1), 100), interval: interval.duration, repeatAfter: repeatAfter.duration,
                                    refresh: refresh.map(\.duration))
        } ?? AnnouncementPlan()
        let probe = reader.duration("address_probe_timeout", default: ConfigDuration(milliseconds: 100),
                                    within: ConfigDuration(milliseconds: 50)...ConfigDuration(seconds: 10))
        guard !addresses.isEmpty else { return nil }
        return FloatingAddressesConfig(addresses: addresses, announce: plan, probeTimeout: probe)
    }
}

/// When a node that just took its floating addresses announces them (gratuitous ARP, and
/// unsolicited neighbour advertisements with the override flag): `count` at once (spaced
/// `interval`), `count` more after `repeatAfter`, then `count` every `refresh` while it
/// holds them, if set (a switch that keeps a stale entry). keepalived's defaults: 5 at
/// once, 5 more after 5 s, no refresh.
public struct AnnouncementPlan: Sendable, Equatable {
    public var count: Int
    public var interval: Duration
    public var repeatAfter: Duration
    public var refresh: Duration?

    public init(count: Int = 5, interval: Duration = .zero, repeatAfter: Duration = .seconds(5), refresh: Duration? = nil) {
        self.count = count
        self.interval = interval
        self.repeatAfter = repeatAfter
        self.refresh = refresh
    }

    /// The offsets, from the moment the addresses were added, of the announcements up to
    /// `horizon` (the first two bursts, then the refreshes).
    public func offsets(upTo horizon: Duration) -> [Duration] {
        var bursts: [Duration] = [.zero]
        if repeatAfter > .zero { bursts.append(repeatAfter) }
        if let refresh {
            var next = (bursts.last ?? .zero) + refresh
            while next <= horizon {
                bursts.append(next)
                next += refresh
            }
        }
        return bursts.filter { $0 <= horizon }.flatMap { start in (0..<count).map { start + interval * $0 } }
    }
}
