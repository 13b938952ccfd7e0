// libFuzzer target: the configuration loader (YAML through Yams, then every section's
// validation). No input may crash it; each either loads or is refused with located problems.
import Foundation
import VacataireCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    do {
        let config = try Config.parse(text, file: "/nonexistent/fuzz/vacataire.yaml")
        // A configuration that loads gives the state machine's settings without trapping.
        _ = config.failover?.settings(nodeName: config.node.name)
        _ = config.checks.map { ($0.interval.duration, $0.timeout.duration, "\($0.interval)") }
    } catch {
        precondition(!error.problems.isEmpty, "a refused configuration names at least one problem")
        _ = error.description
    }
    return 0
}
