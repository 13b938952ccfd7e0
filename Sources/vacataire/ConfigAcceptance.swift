import Foundation
import VacataireChecks
import VacataireCore

/// The configuration as `check-config` and `run` both accept it: the file's own problems
/// (`Config.load`), then what its OCF resource agents say of their settings
/// (`OCFValidation`, `validate-all`). One function, so that `run` refuses whatever
/// `check-config` refuses.
enum ConfigAcceptance {
    /// The accepted configuration and the agents' warnings, or every refusal.
    static func load(path: String) async throws(ConfigErrors) -> (config: Config, warnings: [ConfigProblem]) {
        let config = try Config.load(path: path)
        let findings = await OCFValidation.of(config)
        guard findings.refusals.isEmpty else { throw ConfigErrors(findings.refusals) }
        return (config, findings.warnings)
    }
}
