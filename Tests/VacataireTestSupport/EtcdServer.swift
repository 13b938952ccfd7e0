import Foundation

/// A real one-member etcd (Debian's etcd-server) on free loopback ports, its data in a
/// temporary directory: for the lease mode's client.
public final class EtcdServer: SpawnedServer, @unchecked Sendable {
    public static let executable = "/usr/bin/etcd"

    /// The client URL (`http://127.0.0.1:PORT`).
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    public init() throws {
        try super.init("etcd") { directory in
            guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
                throw FixtureError("the lease mode's tests need etcd at \(Self.executable): apt-get install etcd-server")
            }
            let client = try FreePort.tcp()
            let peer = try FreePort.tcp()
            let server = try SpawnedProcess(
                name: "etcd", executable: Self.executable,
                arguments: [
                    "--name", "test", "--data-dir", directory.file("data"),
                    "--listen-client-urls", "http://127.0.0.1:\(client)", "--advertise-client-urls", "http://127.0.0.1:\(client)",
                    "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)",
                    "--initial-cluster", "test=http://127.0.0.1:\(peer)",
                ],
                workDirectory: directory.path, install: "etcd-server")
            try server.wait(for: "etcd to answer /version", timeout: 20) {
                (try? Repository.run("/usr/bin/curl", ["-s", "-m", "1", "http://127.0.0.1:\(client)/version"]))?.stdout.contains("etcdserver") == true
            }
            return (server, client)
        }
    }
}
