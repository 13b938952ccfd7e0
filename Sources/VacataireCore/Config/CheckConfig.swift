import Foundation

/// One health check of this node's service, as configured under `checks:`.
///
/// The check kinds themselves live in VacataireChecks; this is their validated settings.
public struct CheckConfig: Sendable, Equatable {
    public var name: String

    static func read(_ reader: ConfigReader, base: String) -> CheckConfig? {
        guard let name = reader.required("name", String.self) else { return nil }
        return CheckConfig(name: name)
    }

    static func validateUnique(_ checks: [CheckConfig], in reader: ConfigReader) {
        var seen: Set<String> = []
        for check in checks where !seen.insert(check.name).inserted {
            reader.problem("checks", "two checks are named `\(check.name)`; names must be unique")
        }
    }
}
