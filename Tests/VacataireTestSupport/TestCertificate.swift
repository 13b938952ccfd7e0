import Foundation

/// A self-signed certificate for 127.0.0.1 made with openssl at test time: the server's
/// certificate and, for the client, the CA file that trusts it.
public struct TestCertificate: Sendable {
    public let certificate: String
    public let key: String

    /// Writes `NAME.pem` and `NAME.key` into `directory`.
    public init(in directory: TemporaryDirectory, name: String = "server") throws {
        let openssl = "/usr/bin/openssl"
        guard FileManager.default.isExecutableFile(atPath: openssl) else {
            throw FixtureError("test certificates need openssl: apt-get install openssl")
        }
        certificate = directory.file("\(name).pem")
        key = directory.file("\(name).key")
        let result = try Repository.run(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-sha256",
            "-keyout", key, "-out", certificate, "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
        guard result.status == 0 else {
            throw FixtureError("openssl req failed: \(result.stdout)\(result.stderr)")
        }
    }
}
