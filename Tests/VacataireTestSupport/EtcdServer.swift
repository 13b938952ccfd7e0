import Foundation

/// A real one-member etcd (Debian's etcd-server) on free loopback ports, its data in a
/// temporary directory: for the lease mode's client. With `tls`, its client port speaks
/// HTTPS with a certificate from a test CA (`TestCA`), and with `clientCertificates` it
/// also requires one from its clients; `authTokenTTL` shortens how long a sign-in lasts.
public final class EtcdServer: SpawnedServer, @unchecked Sendable {
    public static let executable = "/usr/bin/etcd"

    /// The client URL (`http://127.0.0.1:PORT`, or https with `tls`).
    public private(set) var endpoint = ""
    /// The CA and the certificates made for this server and a client, with `tls`.
    public private(set) var ca: TestCA?

    public init(tls: Bool = false, clientCertificates: Bool = false, authTokenTTL: Int? = nil) throws {
        var endpoint = ""
        var ca: TestCA?
        // Set in the closure, which runs before `self` exists.
        try super.init("etcd") { directory in
            guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
                throw FixtureError("the lease mode's tests need etcd at \(Self.executable): apt-get install etcd-server")
            }
            let client = try FreePort.tcp()
            let peer = try FreePort.tcp()
            let scheme = tls ? "https" : "http"
            endpoint = "\(scheme)://127.0.0.1:\(client)"
            var security: [String] = []
            var probe = ["-s", "-m", "1"]
            if tls {
                let made = try TestCA(in: directory)
                ca = made
                security = ["--cert-file", made.serverCertificate, "--key-file", made.serverKey]
                if clientCertificates { security += ["--client-cert-auth", "--trusted-ca-file", made.certificate] }
                probe += ["--cacert", made.certificate, "--cert", made.clientCertificate, "--key", made.clientKey]
            }
            if let authTokenTTL { security += ["--auth-token-ttl", String(authTokenTTL)] }
            let server = try SpawnedProcess(
                name: "etcd", executable: Self.executable,
                arguments: [
                    "--name", "test", "--data-dir", directory.file("data"),
                    "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
                    "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)",
                    "--initial-cluster", "test=http://127.0.0.1:\(peer)",
                ] + security,
                workDirectory: directory.path, install: "etcd-server")
            try server.wait(for: "etcd to answer /version", timeout: 20) {
                (try? Repository.run("/usr/bin/curl", probe + ["\(endpoint)/version"]))?.stdout.contains("etcdserver") == true
            }
            return (server, client)
        }
        self.endpoint = endpoint
        self.ca = ca
    }

    /// POSTs `body` (JSON) to the v3 gateway with curl, as an operator would set etcd up;
    /// the answer's text.
    @discardableResult
    public func post(_ path: String, _ body: String, token: String? = nil) throws -> String {
        var arguments = ["-s", "-m", "5", "-X", "POST", "-d", body]
        if let ca { arguments += ["--cacert", ca.certificate, "--cert", ca.clientCertificate, "--key", ca.clientKey] }
        if let token { arguments += ["-H", "Authorization: \(token)"] }
        return try Repository.run("/usr/bin/curl", arguments + [endpoint + path]).stdout
    }
}

/// A certificate authority made with openssl at test time, and the certificates it signed
/// for a server on 127.0.0.1 and for a client (CN `vacataire`).
public struct TestCA: Sendable {
    public let certificate: String
    public let serverCertificate: String
    public let serverKey: String
    public let clientCertificate: String
    public let clientKey: String

    public init(in directory: TemporaryDirectory) throws {
        let openssl = "/usr/bin/openssl"
        guard FileManager.default.isExecutableFile(atPath: openssl) else {
            throw FixtureError("test certificates need openssl: apt-get install openssl")
        }
        certificate = directory.file("ca.pem")
        serverCertificate = directory.file("server.pem")
        serverKey = directory.file("server.key")
        clientCertificate = directory.file("client.pem")
        clientKey = directory.file("client.key")
        let caKey = directory.file("ca.key")
        func run(_ arguments: [String]) throws {
            let result = try Repository.run(openssl, arguments)
            guard result.status == 0 else { throw FixtureError("openssl \(arguments.first ?? "") failed: \(result.stdout)\(result.stderr)") }
        }
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-sha256", "-keyout", caKey, "-out", certificate, "-subj", "/CN=test etcd CA"])
        for (name, subject, extensions) in [
            // etcd's JSON gateway dials etcd itself with the server's certificate: it needs clientAuth too.
            ("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth"),
            ("client", "/CN=vacataire", "extendedKeyUsage=clientAuth"),
        ] {
            let request = directory.file("\(name).csr")
            let extensionFile = try directory.write("\(name).ext", extensions + "\n")
            try run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", directory.file("\(name).key"), "-out", request, "-subj", subject])
            try run(["x509", "-req", "-in", request, "-CA", certificate, "-CAkey", caKey, "-CAcreateserial", "-days", "2", "-sha256",
                     "-extfile", extensionFile, "-out", directory.file("\(name).pem")])
        }
    }
}
