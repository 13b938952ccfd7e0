import Foundation
import Synchronization

/// Two hosts in network namespaces, for tests that must cut links (DESIGN.md §10).
///
/// ```
///   root namespace: bridge  198.51.100.254/24   (the witness and the "load balancer")
///        |                         |
///   alpha: 198.51.100.1/24    beta: 198.51.100.2/24      (public network)
///   alpha: 203.0.113.1/30 ------- beta: 203.0.113.2/30   (private peer link, a direct veth)
/// ```
///
/// Documentation-range addresses only. Names carry the test process's pid so that parallel
/// runs do not collide; `remove()` deletes everything and is safe to call twice.
public final class NetworkLab: @unchecked Sendable {
    public static let witnessAddress = "198.51.100.254"
    public static let publicAddress = ["alpha": "198.51.100.1", "beta": "198.51.100.2"]
    public static let privateAddress = ["alpha": "203.0.113.1", "beta": "203.0.113.2"]

    public let namespaces: [String: String]
    private let bridge: String
    private let tag: String

    /// Builds the lab; throws a `FixtureError` saying what is missing (root, iproute2).
    public init() throws {
        guard getuid() == 0 else {
            throw FixtureError("network namespace tests must run as root (they create namespaces and veth links)")
        }
        guard FileManager.default.isExecutableFile(atPath: Self.ip) else {
            throw FixtureError("network namespace tests need \(Self.ip): apt-get install iproute2")
        }
        tag = String(getpid() % 10_000) + String(Self.nextLab())
        bridge = "vbr\(tag)"
        namespaces = ["alpha": "vac-a-\(tag)", "beta": "vac-b-\(tag)"]
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

    private static let counter = Mutex(0)

    /// A digit that differs between labs of one test run: a deleted namespace's links may
    /// linger for a moment, and a new lab must not collide with them.
    private static func nextLab() -> Int {
        counter.withLock { value in
            value = (value + 1) % 10
            return value
        }
    }

    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    } ?? "/usr/sbin/ip"

    private func build() throws {
        try run(["link", "add", bridge, "type", "bridge"])
        try run(["addr", "add", "\(Self.witnessAddress)/24", "dev", bridge])
        try run(["link", "set", bridge, "up"])
        for (node, namespace) in namespaces.sorted(by: { $0.key < $1.key }) {
            let letter = node.prefix(1)
            try run(["netns", "add", namespace])
            try run(["netns", "exec", namespace, Self.ip, "link", "set", "lo", "up"])
            // Public: a veth from the namespace to the bridge.
            let outside = "v\(letter)o\(tag)"
            try run(["link", "add", outside, "type", "veth", "peer", "name", "pub0", "netns", namespace])
            try run(["link", "set", outside, "master", bridge])
            try run(["link", "set", outside, "up"])
            try inside(node, ["addr", "add", "\(Self.publicAddress[node] ?? "")/24", "dev", "pub0"])
            try inside(node, ["link", "set", "pub0", "up"])
        }
        // Private: one veth straight from alpha to beta.
        guard let alpha = namespaces["alpha"], let beta = namespaces["beta"] else { return }
        try run(["netns", "exec", alpha, Self.ip, "link", "add", "priv0", "type", "veth", "peer", "name", "priv0", "netns", beta])
        for node in ["alpha", "beta"] {
            try inside(node, ["addr", "add", "\(Self.privateAddress[node] ?? "")/30", "dev", "priv0"])
            try inside(node, ["link", "set", "priv0", "up"])
        }
    }

    /// Cuts (or restores) the private peer link.
    public func setPrivateLink(up: Bool) throws {
        try inside("alpha", ["link", "set", "priv0", up ? "up" : "down"])
        try inside("beta", ["link", "set", "priv0", up ? "up" : "down"])
    }

    /// Cuts (or restores) a node's public link: it no longer reaches the witness or the
    /// load balancer, and nobody reaches its service.
    public func setPublicLink(_ node: String, up: Bool) throws {
        try inside(node, ["link", "set", "pub0", up ? "up" : "down"])
    }

    /// The command line that runs `arguments` inside `node`'s namespace.
    public func command(in node: String, _ arguments: [String]) -> [String] {
        [Self.ip, "netns", "exec", namespaces[node] ?? "", ] + arguments
    }

    public func remove() {
        for (node, namespace) in namespaces {
            _ = try? run(["link", "delete", "v\(node.prefix(1))o\(tag)"], quiet: true)
            _ = try? run(["netns", "delete", namespace], quiet: true)
        }
        _ = try? run(["link", "delete", bridge], quiet: true)
    }

    private func inside(_ node: String, _ arguments: [String]) throws {
        try run(["netns", "exec", namespaces[node] ?? "", Self.ip] + arguments)
    }

    @discardableResult
    private func run(_ arguments: [String], quiet: Bool = false) throws -> Int32 {
        let directory = try TemporaryDirectory("netlab")
        defer { directory.remove() }
        let child = try SpawnedProcess(
            executable: Self.ip, arguments: arguments,
            stdoutPath: directory.file("out"), stderrPath: directory.file("err"))
        let status = child.waitUntilExit()
        if status != 0, !quiet {
            let errors = (try? String(contentsOfFile: directory.file("err"), encoding: .utf8)) ?? ""
            throw FixtureError("ip \(arguments.joined(separator: " ")) failed (\(status)): \(errors)")
        }
        return status
    }
}
