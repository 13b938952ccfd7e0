/// The outcome of one check run, with the Nagios plugin API's meaning and exit codes.
public enum CheckStatus: String, Sendable, Codable, CaseIterable {
    case ok
    case warning
    case critical
    case unknown

    /// The plugin API's exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    public var exitCode: Int32 {
        switch self {
        case .ok: return 0
        case .warning: return 1
        case .critical: return 2
        case .unknown: return 3
        }
    }

    /// The status for a plugin's exit code; anything outside 0...3 is UNKNOWN.
    public init(exitCode: Int32) {
        switch exitCode {
        case 0: self = .ok
        case 1: self = .warning
        case 2: self = .critical
        default: self = .unknown
        }
    }

    /// The word a monitoring person expects: `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
    public var label: String { rawValue.uppercased() }

    /// Whether the run counts as a pass for rise/fall: only OK does.
    public var passed: Bool { self == .ok }

    /// How bad a status is when several are summed up: OK < WARNING < UNKNOWN < CRITICAL.
    public var badness: Int {
        switch self {
        case .ok: return 0
        case .warning: return 1
        case .unknown: return 2
        case .critical: return 3
        }
    }

    /// The worst of `statuses` (OK for none): CRITICAL beats UNKNOWN beats WARNING.
    public static func worst(_ statuses: some Sequence<CheckStatus>) -> CheckStatus {
        statuses.max { $0.badness < $1.badness } ?? .ok
    }
}
