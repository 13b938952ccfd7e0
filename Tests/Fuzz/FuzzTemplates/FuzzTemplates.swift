// libFuzzer target: template loading and rendering. The input is split at NUL bytes: the
// first piece is the template, the others are partials named a, b, c... (so inclusions,
// cycles and deep nesting across partials are reached). Each either loads and renders
// for a sample event, or is refused with located errors; none may crash.
import Foundation
import VacataireCore
import VacataireNotify

private let event = NotifiableEvent(
    kind: .failover, node: "alpha", cluster: "web-pair", peer: "beta", incidentID: "e7",
    oldRole: "active", newRole: "failed", reason: "check web failed 3 times",
    checks: [.init(name: "web", status: "CRITICAL", output: "expected 1234 bytes, got 512")],
    time: Date(timeIntervalSince1970: 1_800_000_000), ackAuthor: "marie", ackComment: "on it",
    suppressedCount: 2, suppressedSummary: "check-failed web x2")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTemplates(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let pieces = UnsafeBufferPointer(start: data, count: count).split(separator: 0, omittingEmptySubsequences: false)
    guard let first = pieces.first else { return 0 }
    var partials: [String: String] = [:]
    for (index, piece) in pieces.dropFirst().prefix(8).enumerated() {
        partials[String(UnicodeScalar(UInt8(ascii: "a") + UInt8(index)))] = String(decoding: piece, as: UTF8.self)
    }
    switch TemplateSet.loadAndRender(template: String(decoding: first, as: UTF8.self), partials: partials, event: event) {
    case .success(let text):
        _ = text.count
    case .failure(let errors):
        precondition(!errors.errors.isEmpty, "a refused template names at least one error")
    }
    return 0
}
