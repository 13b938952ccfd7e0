import Foundation

/// A real HTTP or HTTPS server for the check tests: `Tests/Fixtures/checks/http_fixture.py`
/// run by /usr/bin/python3 on 127.0.0.1 and a free port (see the script for its paths).
///
/// `stop()` ends it; it also exits by itself when the test process goes away, because it
/// watches its stdin, which only the test process holds.
public final class HTTPFixtureServer: @unchecked Sendable {
    public let port: UInt16
    private let process: Process
    private let input: Pipe

    /// Starts the server and waits until it listens. `tls` is a certificate and key (PEM).
    public init(tls: HTTPFixtureCertificate? = nil) throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw CheckFixtureError("\(python) is missing: apt-get install python3")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [CheckFixtures.path("http_fixture.py")] + (tls.map { ["--tls", $0.certificate, $0.key] } ?? [])
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        self.process = process
        self.input = input
        // The first line is the port; end of file instead means it could not start.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = UInt16(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            _ = kill(process.processIdentifier, SIGKILL)
            let reason = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw CheckFixtureError("the HTTP fixture server did not start: \(reason)")
        }
        self.port = port
    }

    /// `http://127.0.0.1:PORT/path` (or https).
    public func url(_ path: String, https: Bool = false) -> String {
        "\(https ? "https" : "http")://127.0.0.1:\(port)\(path)"
    }

    public func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        // SIGKILL: a child started from a test thread may inherit a mask that blocks SIGTERM.
        _ = kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        stop()
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with `openssl` at test time.
public struct HTTPFixtureCertificate: Sendable {
    public let certificate: String
    public let key: String

    /// Makes a new certificate and key in `directory`.
    public init(in directory: String) throws {
        let openssl = "/usr/bin/openssl"
        guard FileManager.default.isExecutableFile(atPath: openssl) else {
            throw CheckFixtureError("\(openssl) is missing: apt-get install openssl")
        }
        certificate = "\(directory)/cert.pem"
        key = "\(directory)/key.pem"
        try CheckFixtures.runTool(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
            "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
    }
}
