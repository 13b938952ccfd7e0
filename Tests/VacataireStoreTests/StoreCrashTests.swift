import Foundation
import VacataireCore
import VacataireTestSupport
import XCTest

@testable import VacataireStore

/// A writer killed with SIGKILL in the middle of its writes leaves a database that opens,
/// passes `PRAGMA integrity_check`, and holds exactly the transactions that committed.
///
/// The writer is this test bundle run again as a child, with one test selected and
/// `VACATAIRE_STORE_CRASH_WRITER` naming its state directory.
final class StoreCrashTests: XCTestCase {
    static let writerVariable = "VACATAIRE_STORE_CRASH_WRITER"

    /// The child: writes role, event and incident for epoch after epoch until it is killed.
    func testCrashWriterChild() throws {
        guard let directory = ProcessInfo.processInfo.environment[Self.writerVariable] else {
            throw XCTSkip("the writer half of testKillNineMidWriteLeavesAConsistentDatabase; runs only as its child")
        }
        let store = try AgentStore(stateDirectory: directory)
        var epoch = try store.loadFailoverState()?.epoch ?? 0
        _ = FileManager.default.createFile(atPath: "\(directory)/ready", contents: Data())
        while true {
            epoch += 1
            try store.saveFailoverState(PersistedFailoverState(role: epoch.isMultiple(of: 2) ? .active : .standby, epoch: epoch), at: Date())
            try store.appendEvent(EventRecord(time: Date(), category: .transition, reason: "epoch \(epoch)",
                                              detail: String(repeating: "output line\n", count: 50)))
            try store.openIncident(IncidentID(epoch: epoch, topic: .roleChange), kind: .takeover, reason: "epoch \(epoch)", at: Date())
        }
    }

    func testKillNineMidWriteLeavesAConsistentDatabase() throws {
        let executable = CommandLine.arguments[0]
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            return XCTFail("cannot re-run the test bundle as a writer: \(executable) is not an executable")
        }
        let scratch = try CheckScratchDirectory("store-crash")
        defer { scratch.remove() }
        var previousEpoch: UInt64 = 0
        for round in 1...3 {
            try? FileManager.default.removeItem(atPath: scratch.file("ready"))
            let writer = try SpawnedProcess(
                executable: executable, arguments: ["VacataireStoreTests.StoreCrashTests/testCrashWriterChild"],
                environment: [Self.writerVariable: scratch.path],
                stdoutPath: scratch.file("writer.out"), stderrPath: scratch.file("writer.err"))
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: scratch.file("ready")), writer.isRunning, Date() < deadline {
                usleep(10_000)
            }
            XCTAssertTrue(writer.isRunning, "the writer ended on its own: \((try? String(contentsOfFile: scratch.file("writer.out"), encoding: .utf8)) ?? "")")
            usleep(UInt32.random(in: 200_000...600_000))
            writer.signal(SIGKILL)
            XCTAssertEqual(writer.waitUntilExit(), 128 + SIGKILL)

            let store = try AgentStore(stateDirectory: scratch.path)
            let integrity = try store.pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
            XCTAssertEqual(integrity, ["ok"], "round \(round)")
            let epoch = try XCTUnwrap(try store.loadFailoverState()).epoch
            let lastEvent = try XCTUnwrap(try store.events(limit: 1).last)
            let eventEpoch = try XCTUnwrap(UInt64(lastEvent.reason.dropFirst("epoch ".count)))
            let incidents = try store.openIncidents()
            let incidentEpoch = incidents.last?.id.epoch ?? 0
            XCTAssertGreaterThan(epoch, previousEpoch, "round \(round): the writer made progress after reopening")
            // Each epoch writes role, then event, then incident: a kill leaves one of three cuts.
            let cut = (epoch - eventEpoch, eventEpoch - incidentEpoch)
            XCTAssertTrue([(1, 0), (0, 1), (0, 0)].contains { $0 == cut },
                          "round \(round): role at epoch \(epoch), last event \(eventEpoch), last incident \(incidentEpoch)")
            // Nothing doubled; only the epoch cut by each earlier kill may miss its event or incident.
            let eventEpochs = try store.events(limit: 1_000_000).compactMap { UInt64($0.reason.dropFirst("epoch ".count)) }
            let incidentEpochs = incidents.map(\.id.epoch)
            XCTAssertEqual(eventEpochs, eventEpochs.sorted().reduce(into: []) { if $0.last != $1 { $0.append($1) } })
            XCTAssertEqual(incidentEpochs, Array(Set(incidentEpochs)).sorted())
            XCTAssertGreaterThanOrEqual(eventEpochs.count + round - 1, Int(eventEpoch), "round \(round): events lost")
            XCTAssertGreaterThanOrEqual(incidentEpochs.count + round - 1, Int(incidentEpoch), "round \(round): incidents lost")
            try store.close()
            previousEpoch = epoch
        }
    }
}
