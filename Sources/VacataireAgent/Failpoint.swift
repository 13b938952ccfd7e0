#if canImport(Glibc)
import Glibc
#endif
import Foundation
import VacataireCore

/// Crash points for tests of durability, set by the environment and absent otherwise:
/// `VACATAIRE_FAILPOINT=exit-after-deciding:KIND` makes the agent exit (status 137, as
/// after SIGKILL) right after it journals its first notification of KIND, before the
/// outbox takes it. Nothing in a configuration can set it.
enum Failpoint {
    static let exitAfterDeciding: String? = {
        guard let value = ProcessInfo.processInfo.environment["VACATAIRE_FAILPOINT"],
              value.hasPrefix("exit-after-deciding:") else { return nil }
        return String(value.dropFirst("exit-after-deciding:".count))
    }()

    static func afterDeciding(_ kind: EventKind) {
        guard let exitAfterDeciding, exitAfterDeciding == kind.rawValue else { return }
        FileHandle.standardError.write(Data("failpoint: exiting after deciding a \(kind.rawValue) notification\n".utf8))
        _exit(137)
    }
}
