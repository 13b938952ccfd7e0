import Foundation

/// A web site that Debian's nginx serves under Pacemaker's `ocf:heartbeat:nginx` agent:
/// its own configuration file, pid file, logs and page in `directory`, on 127.0.0.1:`port`.
/// The agent finds the pid file and the port in the configuration; its stop signals what
/// matches `nginx ... -c CONFIGFILE`, so sites in different directories never touch each other.
public struct NginxSite: Sendable {
    public let directory: String
    /// The site's name: its files are NAME.conf, NAME.pid, NAME-www...
    public let name: String
    public let port: Int
    /// The page's body.
    public let page: String

    /// Writes the site (`NAME.conf`, `NAME-www/index.html`) into `directory`; throws naming
    /// the Debian packages when nginx or the agent is missing.
    public init(in directory: String, name: String, port: Int, page: String) throws {
        try DebianTool.nginx.require(for: "an nginx site driven by ocf:heartbeat:nginx")
        try DebianTool.ocfNginx.require(for: "an nginx site driven by ocf:heartbeat:nginx")
        self.directory = directory
        self.port = port
        self.page = page
        self.name = name
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: "\(directory)/\(name)-www", withIntermediateDirectories: true)
        try fileManager.createDirectory(atPath: "\(directory)/\(name)-tmp", withIntermediateDirectories: true)
        try page.write(toFile: "\(directory)/\(name)-www/index.html", atomically: true, encoding: .utf8)
        // nginx's workers run as another user (www-data): they must reach the page.
        for path in [directory, "\(directory)/\(name)-www", "\(directory)/\(name)-www/index.html"] {
            guard chmod(path, path.hasSuffix(".html") ? 0o644 : 0o755) == 0 else { throw FixtureError("cannot open \(path) to nginx's workers") }
        }
        try configuration.write(toFile: configFile, atomically: true, encoding: .utf8)
    }

    public var configFile: String { "\(directory)/\(name).conf" }
    public var pidFile: String { "\(directory)/\(name).pid" }

    /// The agent's parameters, as a YAML flow mapping. `status10url` is set because the
    /// agent's `validate-all` refuses the URL it would derive (`http://host:port`, no path).
    public var params: String {
        "{configfile: \(configFile), status10url: \"http://127.0.0.1:\(port)/\"}"
    }

    var configuration: String {
        let tmp = "\(directory)/\(name)-tmp"
        return """
            worker_processes 1;
            pid \(pidFile);
            error_log \(directory)/\(name)-error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(tmp)/body;
                proxy_temp_path \(tmp)/proxy;
                fastcgi_temp_path \(tmp)/fastcgi;
                uwsgi_temp_path \(tmp)/uwsgi;
                scgi_temp_path \(tmp)/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    root \(directory)/\(name)-www;
                    location / { }
                }
            }

            """
    }

    /// The master process's pid, while its pid file names one.
    public var masterPID: pid_t? {
        (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Kills every nginx process of this site with SIGKILL, as a crash would (the pid file
    /// stays): the master and its workers, found by their command line.
    public func crash() {
        for pid in Self.processes(matching: configFile) { kill(pid, SIGKILL) }
    }

    /// Whether a process of this site still runs.
    public var running: Bool { !Self.processes(matching: configFile).isEmpty }

    /// The nginx processes whose command line names `configFile` (the master; workers are
    /// its children).
    static func processes(matching configFile: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let commandLine = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            guard commandLine.contains("nginx") else { continue }
            if commandLine.contains(configFile) {
                found.append(pid)
            } else if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                      let parent = status.firstMatch(of: /PPid:\s+(\d+)/).flatMap({ pid_t($0.output.1) }),
                      let parentLine = FileManager.default.contents(atPath: "/proc/\(parent)/cmdline"),
                      String(decoding: parentLine.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(configFile) {
                found.append(pid)
            }
        }
        return found
    }
}

/// A resource agent written for one test, under an OCF root of its own
/// (`ROOT/resource.d/test/TYPE`): for what Debian's agents never do on demand, such as
/// answering 7 to a stop or printing the environment they were given.
public struct ScriptedAgent: Sendable {
    /// The directory to give as `ocf_root`.
    public let root: String
    public let type: String

    /// Writes `body` (a POSIX shell script after `#!/bin/sh`; `$1` is the action) as the agent.
    public init(in directory: String, type: String, body: String) throws {
        root = "\(directory)/ocf"
        self.type = type
        let providerDirectory = "\(root)/resource.d/test"
        try FileManager.default.createDirectory(atPath: providerDirectory, withIntermediateDirectories: true)
        let path = "\(providerDirectory)/\(type)"
        try ("#!/bin/sh\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        guard chmod(path, 0o755) == 0 else { throw FixtureError("cannot make \(path) executable") }
    }

    /// `test:TYPE`, as `ocf:` names it.
    public var agent: String { "test:\(type)" }
}
