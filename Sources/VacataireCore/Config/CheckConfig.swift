import Foundation

/// One health check of this node's service, as configured under `checks:`.
///
/// The check kinds themselves live in VacataireChecks; this is their validated settings:
/// what to check (`kind`), how often (`interval`), how long one run may take (`timeout`),
/// how many results in a row change its health (`rise`, `fall`), and whether a failure
/// drives failover (`severity: critical`) or only notifies (`severity: warning`).
public struct CheckConfig: Sendable, Equatable {
    public var name: String
    public var kind: CheckKind
    public var interval: ConfigDuration
    public var timeout: ConfigDuration
    /// Passes in a row that make a failing check healthy again.
    public var rise: Int
    /// Failures in a row that make a healthy check failing.
    public var fall: Int
    public var severity: CheckSeverity
    /// What the check judges: the service (runs where the service runs) or the node.
    public var scope: CheckScope

    public static let defaultInterval = ConfigDuration(seconds: 10)
    public static let defaultTimeout = ConfigDuration(seconds: 5)
    public static let defaultRise = 2
    public static let defaultFall = 3
    /// A check runs at most ten times a second and at least once a day.
    public static let intervalBounds = ConfigDuration(milliseconds: 100)...ConfigDuration(seconds: 86_400)
    /// One run may take from 10ms (a local TCP connect) to an hour.
    public static let timeoutBounds = ConfigDuration(milliseconds: 10)...ConfigDuration(seconds: 3_600)

    public init(
        name: String, kind: CheckKind,
        interval: ConfigDuration = CheckConfig.defaultInterval, timeout: ConfigDuration = CheckConfig.defaultTimeout,
        rise: Int = CheckConfig.defaultRise, fall: Int = CheckConfig.defaultFall, severity: CheckSeverity = .critical,
        scope: CheckScope? = nil
    ) {
        self.name = name
        self.kind = kind
        self.interval = interval
        self.timeout = timeout
        self.rise = rise
        self.fall = fall
        self.severity = severity
        self.scope = scope ?? CheckScope.default(for: kind.name)
    }

    /// Reads one check; an `ocf` check may take its agent from `resources` (failover.resources).
    static func read(_ reader: ConfigReader, base: String, resources: [FailoverConfig.Resource] = []) -> CheckConfig? {
        let name = reader.required("name", String.self)
        if let name, !NodeIdentity.isIdentifier(name) {
            reader.problem("name", "expected letters, digits, `-`, `_` or `.` (1 to 64 of them), found `\(name)`")
        }
        let interval = reader.duration("interval", default: defaultInterval, within: intervalBounds)
        // Without a timeout of its own, a check run may take its whole interval, up to 5s.
        let timeout = reader.duration("timeout", default: min(defaultTimeout, interval), within: timeoutBounds)
        let rise = reader.optional("rise", Int.self) ?? defaultRise
        let fall = reader.optional("fall", Int.self) ?? defaultFall
        let severity = reader.optional("severity", CheckSeverity.self) ?? .critical
        let scope = reader.optional("scope", CheckScope.self)
        if timeout > interval {
            reader.problem("timeout", "must not be longer than `interval` (\(interval)); one run must end before the next starts")
        }
        for (key, value) in [("rise", rise), ("fall", fall)] where !(1...100).contains(value) {
            reader.problem(key, "must be from 1 to 100, found \(value)")
        }
        guard let kindName = reader.required("kind", CheckKindName.self) else {
            // The kind is wrong, not its settings: mark them known so only `kind` is reported.
            for key in CheckKindName.settingKeys { _ = reader.has(key) }
            return nil
        }
        let kind: CheckKind?
        switch kindName {
        case .process: kind = ProcessCheckSettings.read(reader, base: base).map(CheckKind.process)
        case .memory: kind = MemoryCheckSettings.read(reader, base: base).map(CheckKind.memory)
        case .http: kind = HTTPCheckSettings.read(reader, base: base).map(CheckKind.http)
        case .tcp: kind = TCPCheckSettings.read(reader).map(CheckKind.tcp)
        case .exec: kind = ExecCheckSettings.read(reader, base: base).map(CheckKind.exec)
        case .ocf: kind = OCFCheckSettings.read(reader, base: base, resources: resources).map(CheckKind.ocf)
        }
        guard let name, let kind else { return nil }
        return CheckConfig(
            name: name, kind: kind, interval: interval, timeout: timeout,
            rise: rise, fall: fall, severity: severity, scope: scope
        )
    }

    static func validateUnique(_ checks: [CheckConfig], in reader: ConfigReader) {
        var seen: Set<String> = []
        for check in checks where !seen.insert(check.name).inserted {
            reader.problem("checks", "two checks are named `\(check.name)`; names must be unique")
        }
    }
}

/// Whether a failing check drives failover (`critical`) or only notifies (`warning`).
public enum CheckSeverity: String, ConfigKeyword, Sendable, Codable {
    case critical
    case warning
}

/// What a check judges, and so where it runs (Docs/checks.md, "Scope").
///
/// A `service` check judges the service itself: it runs where the service runs (the active
/// node, and a node verifying the service it has just started) and is idle elsewhere, so a
/// standby whose service is off by design is not "unhealthy". A `node` check judges whether
/// this node may serve at all (memory, disk, a backend it needs) and runs everywhere: a
/// standby is ready when its node checks pass.
public enum CheckScope: String, ConfigKeyword, Sendable, Codable {
    case service
    case node

    /// `memory` judges the node; `process`, `http`, `tcp`, `exec` and `ocf` judge the service.
    public static func `default`(for kind: CheckKindName) -> CheckScope {
        kind == .memory ? .node : .service
    }
}

/// The `kind:` word of a check.
public enum CheckKindName: String, ConfigKeyword, Sendable {
    case process, memory, http, tcp, exec, ocf

    /// Every key that some kind reads, besides the common ones.
    static let settingKeys = [
        "process_name", "cmdline_pattern", "pidfile", "min_count", "proc_root",
        "min_available_percent", "min_swap_free_percent",
        "url", "method", "headers", "ca_file", "verify_tls", "expect_status", "expect_bytes", "body_pattern",
        "follow_redirects", "host", "port", "command", "on_timeout",
        "ocf", "params", "ocf_root", "instance", "resource",
    ]
}

/// What a check looks at, with the settings of that kind.
public enum CheckKind: Sendable, Equatable {
    case process(ProcessCheckSettings)
    case memory(MemoryCheckSettings)
    case http(HTTPCheckSettings)
    case tcp(TCPCheckSettings)
    case exec(ExecCheckSettings)
    case ocf(OCFCheckSettings)

    public var name: CheckKindName {
        switch self {
        case .process: return .process
        case .memory: return .memory
        case .http: return .http
        case .tcp: return .tcp
        case .exec: return .exec
        case .ocf: return .ocf
        }
    }
}

/// `kind: process`: at least `minimum` live processes match by name, command line or pidfile.
public struct ProcessCheckSettings: Sendable, Equatable {
    /// How a process is recognised.
    public enum Match: Sendable, Equatable {
        /// `process_name`: the kernel's short name, `/proc/PID/comm` (at most 15 characters).
        case name(String)
        /// `cmdline_pattern`: a regular expression searched in the full command line,
        /// arguments joined by spaces.
        case commandLine(String)
        /// `pidfile`: the file names a pid, and that process is alive.
        case pidfile(String)
    }

    public var match: Match
    /// `min_count`: how many matching processes are needed (1 by default).
    public var minimum: Int
    /// `proc_root`: where procfs is mounted (`/proc`); tests point it elsewhere.
    public var procRoot: String

    public init(match: Match, minimum: Int = 1, procRoot: String = "/proc") {
        self.match = match
        self.minimum = minimum
        self.procRoot = procRoot
    }

    static func read(_ reader: ConfigReader, base: String) -> ProcessCheckSettings? {
        let name = reader.optional("process_name", String.self)
        let pattern = reader.optional("cmdline_pattern", String.self)
        let pidfile = reader.optional("pidfile", String.self).map { Config.resolve($0, base: base) }
        let minimum = reader.optional("min_count", Int.self) ?? 1
        let procRoot = reader.optional("proc_root", String.self).map { Config.resolve($0, base: base) } ?? "/proc"
        if minimum < 1 { reader.problem("min_count", "must be at least 1, found \(minimum)") }
        if let name, name.isEmpty || name.count > 15 {
            reader.problem("process_name", "expected the name in /proc/PID/comm, 1 to 15 characters, found `\(name)`")
        }
        if let pattern, let reason = regularExpressionProblem(pattern) {
            reader.problem("cmdline_pattern", reason)
        }
        let given = [name.map(Match.name), pattern.map(Match.commandLine), pidfile.map(Match.pidfile)].compactMap { $0 }
        guard given.count == 1, let match = given.first else {
            reader.problem("kind", "a process check needs exactly one of `process_name`, `cmdline_pattern` or `pidfile`, found \(given.count)")
            return nil
        }
        return ProcessCheckSettings(match: match, minimum: minimum, procRoot: procRoot)
    }
}

/// `kind: memory`: MemAvailable and SwapFree, as percentages of their totals, stay at or
/// above their minimums. A machine without swap (SwapTotal 0) passes the swap test.
public struct MemoryCheckSettings: Sendable, Equatable {
    /// `min_available_percent`: the least MemAvailable, in percent of MemTotal (10 by default).
    public var minAvailablePercent: Double
    /// `min_swap_free_percent`: the least SwapFree, in percent of SwapTotal (10 by default).
    public var minSwapFreePercent: Double
    /// `proc_root`: the directory holding `meminfo` (`/proc`); tests point it at fixtures.
    public var procRoot: String

    public init(minAvailablePercent: Double = 10, minSwapFreePercent: Double = 10, procRoot: String = "/proc") {
        self.minAvailablePercent = minAvailablePercent
        self.minSwapFreePercent = minSwapFreePercent
        self.procRoot = procRoot
    }

    static func read(_ reader: ConfigReader, base: String) -> MemoryCheckSettings? {
        let available = reader.optional("min_available_percent", Percent.self)?.value ?? 10
        let swap = reader.optional("min_swap_free_percent", Percent.self)?.value ?? 10
        let procRoot = reader.optional("proc_root", String.self).map { Config.resolve($0, base: base) } ?? "/proc"
        return MemoryCheckSettings(minAvailablePercent: available, minSwapFreePercent: swap, procRoot: procRoot)
    }
}

/// A percentage from 0 to 100, written `15`, `12.5` or `15%`.
public struct Percent: ConfigValue, Equatable, Sendable {
    public var value: Double

    public static var expectation: String { "a percentage from 0 to 100, such as 15 or 12.5%" }

    public static func parse(_ text: String) -> Result<Percent, ConfigValueError> {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), (0...100).contains(value) else {
            return .failure(.init("expected \(expectation)"))
        }
        return .success(Percent(value: value))
    }
}

/// `kind: http`: a URL answers, through libcurl, with the expected status and body.
///
/// `expect_bytes` is the seed's content check: a backend that sends a truncated page fails.
public struct HTTPCheckSettings: Sendable, Equatable {
    /// `url`: an `http://` or `https://` URL.
    public var url: String
    /// `method`: GET by default; HEAD sends no body back.
    public var method: String
    /// `headers`: extra request headers, each `Name: value`. Values may be secret: never logged.
    public var headers: [String]
    /// `ca_file`: PEM file of the authorities to trust instead of the system's.
    public var caFile: String?
    /// `verify_tls`: check the server's certificate and name (true by default).
    public var verifyTLS: Bool
    /// `expect_status`: a status such as `200` or a range such as `200-399` (200-299 by default).
    public var expectStatus: ClosedRange<Int>
    /// `expect_bytes`: the exact size of the body in bytes, if checked.
    public var expectBytes: Int?
    /// `body_pattern`: a regular expression the body must contain, if checked.
    public var bodyPattern: String?
    /// `follow_redirects`: follow up to 5 redirects (false by default).
    public var followRedirects: Bool

    public init(
        url: String, method: String = "GET", headers: [String] = [], caFile: String? = nil, verifyTLS: Bool = true,
        expectStatus: ClosedRange<Int> = 200...299, expectBytes: Int? = nil, bodyPattern: String? = nil,
        followRedirects: Bool = false
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.caFile = caFile
        self.verifyTLS = verifyTLS
        self.expectStatus = expectStatus
        self.expectBytes = expectBytes
        self.bodyPattern = bodyPattern
        self.followRedirects = followRedirects
    }

    static func read(_ reader: ConfigReader, base: String) -> HTTPCheckSettings? {
        let url = reader.required("url", String.self)
        let method = reader.optional("method", String.self) ?? "GET"
        let headers = reader.values("headers", String.self) ?? []
        let caFile = reader.optional("ca_file", String.self).map { Config.resolve($0, base: base) }
        let verify = reader.optional("verify_tls", Bool.self) ?? true
        let status = reader.optional("expect_status", HTTPStatusRange.self)?.range ?? 200...299
        let bytes = reader.optional("expect_bytes", Int.self)
        let pattern = reader.optional("body_pattern", String.self)
        let follow = reader.optional("follow_redirects", Bool.self) ?? false
        if let url {
            let scheme = url.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() }
            if URLComponents(string: url)?.host?.isEmpty != false || !(scheme == "http" || scheme == "https") {
                reader.problem("url", "expected an http:// or https:// URL with a host, found `\(url)`")
            }
        }
        if method.isEmpty || !method.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) {
            reader.problem("method", "expected an HTTP method in capitals such as GET or HEAD, found `\(method)`")
        }
        for (index, header) in headers.enumerated() {
            let parts = header.split(separator: ":", maxSplits: 1)
            if parts.count != 2 || parts[0].isEmpty || parts[0].contains(" ") || header.contains("\n") {
                // The value may be a secret: name the header's position, never its text.
                reader.problem("headers", "entry \(index + 1) is not of the form `Name: value`")
            }
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            reader.problem("ca_file", "cannot read \(caFile)")
        }
        if let bytes, bytes < 0 { reader.problem("expect_bytes", "must be 0 or more, found \(bytes)") }
        if let pattern, let reason = regularExpressionProblem(pattern) { reader.problem("body_pattern", reason) }
        guard let url else { return nil }
        return HTTPCheckSettings(
            url: url, method: method, headers: headers, caFile: caFile, verifyTLS: verify,
            expectStatus: status, expectBytes: bytes, bodyPattern: pattern, followRedirects: follow
        )
    }
}

/// An HTTP status or an inclusive range of them: `200` or `200-399`.
public struct HTTPStatusRange: ConfigValue, Equatable, Sendable {
    public var range: ClosedRange<Int>

    public static var expectation: String { "an HTTP status such as 200, or a range such as 200-399" }

    public static func parse(_ text: String) -> Result<HTTPStatusRange, ConfigValueError> {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil,
              (100...599).contains(low), (100...599).contains(high), low <= high
        else {
            return .failure(.init("expected \(expectation)"))
        }
        return .success(HTTPStatusRange(range: low...high))
    }
}

/// `kind: tcp`: `host` accepts a TCP connection on `port` within the check's timeout.
public struct TCPCheckSettings: Sendable, Equatable {
    public var host: HostAddress
    public var port: Port

    public init(host: HostAddress, port: Port) {
        self.host = host
        self.port = port
    }

    static func read(_ reader: ConfigReader) -> TCPCheckSettings? {
        let host = reader.required("host", HostAddress.self)
        let port = reader.required("port", Port.self)
        guard let host, let port else { return nil }
        return TCPCheckSettings(host: host, port: port)
    }
}

/// `kind: exec`: a Nagios/Monitoring plugin; its exit code is the status (0 OK, 1 WARNING,
/// 2 CRITICAL, 3 UNKNOWN), its first output line the message, perfdata after `|`.
public struct ExecCheckSettings: Sendable, Equatable {
    /// `command`: the program and its arguments, as a list; no shell is involved. A program
    /// with a `/` resolves against the configuration file's directory, a bare name on PATH.
    public var command: [String]
    /// `on_timeout`: the status of a run killed at its timeout (`critical` by default).
    public var onTimeout: ExecTimeoutStatus

    public init(command: [String], onTimeout: ExecTimeoutStatus = .critical) {
        self.command = command
        self.onTimeout = onTimeout
    }

    static func read(_ reader: ConfigReader, base: String) -> ExecCheckSettings? {
        guard var command = reader.values("command", String.self) else {
            reader.problem("command", "missing; expected the plugin and its arguments as a list")
            return nil
        }
        let onTimeout = reader.optional("on_timeout", ExecTimeoutStatus.self) ?? .critical
        guard let program = command.first, !program.isEmpty else {
            reader.problem("command", "expected the plugin and its arguments as a list, found an empty one")
            return nil
        }
        if program.contains("/") {
            command[0] = Config.resolve(program, base: base)
            if !FileManager.default.isExecutableFile(atPath: command[0]) {
                reader.problem("command", "no executable file at \(command[0])")
            }
        }
        return ExecCheckSettings(command: command, onTimeout: onTimeout)
    }
}

/// The status an exec check reports when its plugin had to be killed at the timeout.
public enum ExecTimeoutStatus: String, ConfigKeyword, Sendable {
    case critical
    case unknown
}

/// Why `pattern` is not a usable regular expression, or nil when it is.
func regularExpressionProblem(_ pattern: String) -> String? {
    do {
        _ = try NSRegularExpression(pattern: pattern)
        return nil
    } catch {
        return "not a valid regular expression: `\(pattern)`"
    }
}
