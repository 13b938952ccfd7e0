import Foundation
import Synchronization

/// Hosts in network namespaces on one Ethernet segment, for the floating address tests:
///
/// ```
///               bridge br0 (namespace va-PID-N-sw)
///          |             |               |               |
///   a: va0 .1 / ::1   b: va0 .2 / ::2   client: va0 .3   third: va0 .4
///   02:00:00:00:00:0a  ...0b             ...0c           ...0d
/// ```
///
/// Each host's `va0` has a fixed MAC, 198.51.100.N/24 and 2001:db8::N/64 (added without
/// duplicate address detection, so usable at once). Namespaces are `va-PID-N-HOST` (PID the
/// test process's, N the lab's number in it); a new lab first deletes those whose process is
/// gone. `remove()` deletes the namespaces (their links go with them) and is safe to call twice.
final class AddressLab: @unchecked Sendable {
    enum Host: String, CaseIterable, Sendable {
        case a, b, client, third

        var number: Int {
            switch self {
            case .a: 1
            case .b: 2
            case .client: 3
            case .third: 4
            }
        }

        var hardwareAddress: String {
            "02:00:00:00:00:0\(String(9 + number, radix: 16))"
        }

        var ipv4: String { "198.51.100.\(number)" }
        var ipv6: String { "2001:db8::\(number)" }
    }

    /// The hosts' interface on the segment.
    static let interface = "va0"

    let hosts: [Host]
    private let tag: String

    init(_ hosts: [Host]) throws {
        guard getuid() == 0 else {
            throw FixtureError("the floating address tests must run as root (they create network namespaces)")
        }
        _ = try LabTool.ip.path()
        Self.removeAbandonedLabs()
        self.hosts = hosts
        tag = "va-\(getpid())-\(Self.nextLab())"
        do {
            try build()
        } catch {
            remove()
            throw error
        }
    }

    deinit {
        remove()
    }

    /// The namespace's name, for `ip -n` and `NamespaceThread`.
    func namespace(_ host: Host) -> String {
        "\(tag)-\(host.rawValue)"
    }

    private var switchNamespace: String {
        "\(tag)-sw"
    }

    /// Runs `ip ARGUMENTS` in the host's namespace and returns what it printed.
    @discardableResult
    func ip(_ arguments: [String], in host: Host) throws -> String {
        try LabTool.ip.check(["-n", namespace(host)] + arguments)
    }

    /// The host's addresses on va0, one line each (`ip -o addr show dev va0`).
    func addresses(of host: Host) throws -> String {
        try ip(["-o", "addr", "show", "dev", Self.interface], in: host)
    }

    /// The host's neighbour entry for `address` on va0 (`ip neigh show ADDRESS dev va0`),
    /// read only.
    func neighbourEntry(for address: String, in host: Host) throws -> String {
        let family = address.contains(":") ? "-6" : "-4"
        return try ip([family, "neigh", "show", address, "dev", Self.interface], in: host)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Pings `address` once from the host; throws unless it answers.
    func ping(_ address: String, from host: Host) throws {
        let output = try LabTool.ip.run(
            ["netns", "exec", namespace(host), try LabTool.ping.path(), "-c", "1", "-W", "2", address])
        guard output.status == 0 else {
            throw FixtureError("ping \(address) from \(host) failed (\(output.status)): \(output.stdout)\(output.stderr)")
        }
    }

    func remove() {
        for name in hosts.map(namespace) + [switchNamespace] {
            _ = try? LabTool.ip.run(["netns", "delete", name])
        }
    }

    private func build() throws {
        try LabTool.ip.check(["netns", "add", switchNamespace])
        try LabTool.ip.check(["-n", switchNamespace, "link", "add", "br0", "type", "bridge"])
        try LabTool.ip.check(["-n", switchNamespace, "link", "set", "br0", "up"])
        for host in hosts {
            let name = namespace(host)
            let port = "p\(host.rawValue)"
            try LabTool.ip.check(["netns", "add", name])
            try ip(["link", "set", "lo", "up"], in: host)
            try LabTool.ip.check([
                "-n", switchNamespace, "link", "add", port, "type", "veth", "peer", "name", Self.interface, "netns", name,
            ])
            try LabTool.ip.check(["-n", switchNamespace, "link", "set", port, "master", "br0"])
            try LabTool.ip.check(["-n", switchNamespace, "link", "set", port, "up"])
            try ip(["link", "set", Self.interface, "address", host.hardwareAddress], in: host)
            try ip(["addr", "add", "\(host.ipv4)/24", "dev", Self.interface], in: host)
            try ip(["addr", "add", "\(host.ipv6)/64", "dev", Self.interface, "nodad"], in: host)
            try ip(["link", "set", Self.interface, "up"], in: host)
        }
    }

    private static let counter = Mutex(0)

    private static func nextLab() -> Int {
        counter.withLock { value in
            value += 1
            return value
        }
    }

    /// Deletes the namespaces of labs whose test process is gone (killed before its
    /// tear-down). Names are `va-PID-N-HOST`.
    private static func removeAbandonedLabs() {
        guard let listing = try? LabTool.ip.run(["netns", "list"]), listing.status == 0 else { return }
        for line in listing.stdout.split(whereSeparator: \.isNewline) {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 4, parts[0] == "va", let pid = pid_t(parts[1]), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            _ = try? LabTool.ip.run(["netns", "delete", name])
        }
    }
}
