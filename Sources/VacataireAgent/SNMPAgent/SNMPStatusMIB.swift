import Foundation
import VacataireNotify

/// LE-VACATAIRE-MIB's `vacStatus` subtree as instances: every object the subagent answers,
/// with its value, in OID order, built from one `SNMPStatus`. Pure: the subagent's thread
/// asks it for a get (`instance(_:)`) or a get-next (`instance(after:)`).
struct SNMPStatusMIB {
    typealias OID = [UInt]

    /// A value, typed as the MIB declares it.
    enum Value: Equatable {
        case string([UInt8])
        case integer(Int)
        case unsigned(UInt32)
        case counter(UInt32)
        case timeTicks(UInt32)
    }

    struct Instance: Equatable {
        var oid: OID
        var value: Value
    }

    /// `vacStatus`: leVacataireMIB.3.
    static let root: OID = VacataireMIB.enterprise + [3]
    static let node: OID = root + [1]
    static let checkEntry: OID = root + [2, 1]
    static let incidentEntry: OID = root + [3, 1]
    static let destinationEntry: OID = root + [4, 1]

    /// Every instance, in OID order.
    let instances: [Instance]

    init(_ status: SNMPStatus, now: Date) {
        var instances: [Instance] = []
        func scalar(_ number: UInt, _ value: Value) {
            instances.append(Instance(oid: Self.node + [number, 0], value: value))
        }
        scalar(1, .string(Self.displayString(status.node)))
        scalar(2, .string(Self.displayString(status.cluster)))
        scalar(3, .string(Self.displayString(status.role)))
        scalar(4, .string(Self.displayString(status.state)))
        scalar(5, .unsigned(UInt32(clamping: status.epoch)))
        scalar(6, .timeTicks(Self.ticks(now.timeIntervalSince(status.roleSince))))
        scalar(7, .string(Self.displayString(status.peerName)))
        scalar(8, .string(Self.displayString(status.peerState)))
        scalar(9, .string(Self.timeStamp(status.lastTransition?.time)))
        scalar(10, .string(Self.displayString(status.lastTransition?.event ?? "")))
        scalar(11, .string(Self.displayString(status.lastTransition?.reason ?? "")))
        scalar(12, .integer(status.maintenance ? 1 : 2))  // TruthValue: true(1), false(2)
        // Tables column by column, rows from 1: the order a walk visits them.
        func column<Row>(_ entry: OID, _ number: UInt, _ rows: [Row], _ value: (Row) -> Value) {
            for (index, row) in rows.enumerated() {
                instances.append(Instance(oid: entry + [number, UInt(index + 1)], value: value(row)))
            }
        }
        column(Self.checkEntry, 2, status.checks) { .string(Self.displayString($0.name)) }
        column(Self.checkEntry, 3, status.checks) { .string(Self.displayString($0.scope)) }
        column(Self.checkEntry, 4, status.checks) { .string(Self.displayString($0.state)) }
        column(Self.checkEntry, 5, status.checks) { .string(Self.displayString(Self.firstLine($0.output))) }
        column(Self.checkEntry, 6, status.checks) { .string(Self.timeStamp($0.since)) }
        column(Self.incidentEntry, 2, status.incidents) { .string(Self.displayString($0.id)) }
        column(Self.incidentEntry, 3, status.incidents) { .string(Self.displayString($0.event)) }
        column(Self.incidentEntry, 4, status.incidents) { .string(Self.timeStamp($0.opened)) }
        column(Self.incidentEntry, 5, status.incidents) { .string(Self.displayString($0.ackAuthor ?? "")) }
        column(Self.incidentEntry, 6, status.incidents) { .string(Self.timeStamp($0.ackTime)) }
        column(Self.incidentEntry, 7, status.incidents) { .string(Self.displayString($0.state.rawValue)) }
        column(Self.destinationEntry, 2, status.destinations) { .string(Self.displayString($0.name)) }
        column(Self.destinationEntry, 3, status.destinations) { .counter(UInt32(truncatingIfNeeded: $0.sent)) }
        column(Self.destinationEntry, 4, status.destinations) { .counter(UInt32(truncatingIfNeeded: $0.failed)) }
        column(Self.destinationEntry, 5, status.destinations) { .unsigned(UInt32(clamping: max(0, $0.pending))) }
        self.instances = instances
    }

    /// The instance named `oid` exactly (a get).
    func instance(_ oid: OID) -> Instance? {
        let index = firstIndex { !Self.precedes($0.oid, oid) }
        guard index < instances.count, instances[index].oid == oid else { return nil }
        return instances[index]
    }

    /// The first instance after `oid` (a get-next).
    func instance(after oid: OID) -> Instance? {
        let index = firstIndex { Self.precedes(oid, $0.oid) }
        return index < instances.count ? instances[index] : nil
    }

    /// The first index whose instance satisfies `isAtOrPast` (which holds from some index on).
    private func firstIndex(where isAtOrPast: (Instance) -> Bool) -> Int {
        var low = 0
        var high = instances.count
        while low < high {
            let middle = (low + high) / 2
            if isAtOrPast(instances[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Whether `a` sorts before `b` in OID order (a prefix sorts first).
    static func precedes(_ a: OID, _ b: OID) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            return x < y
        }
        return a.count < b.count
    }

    static func ticks(_ seconds: TimeInterval) -> UInt32 {
        UInt32(clamping: Int64(max(0, seconds * 100).rounded(.down)))
    }

    static func firstLine(_ text: String) -> String {
        String(text.prefix { $0 != "\n" && $0 != "\r" })
    }

    /// At most 255 octets, cut at a character boundary (SNMPChannel's rule for traps).
    static func displayString(_ text: String) -> [UInt8] {
        SNMPChannel.displayString(text)
    }

    /// `VacTimeStamp`: DateAndTime in UTC (11 octets), or no octets for no time.
    static func timeStamp(_ date: Date?) -> [UInt8] {
        guard let date else { return [] }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        let year = UInt16(clamping: parts.year ?? 0)
        return [
            UInt8(year >> 8), UInt8(year & 0xff), UInt8(clamping: parts.month ?? 1), UInt8(clamping: parts.day ?? 1),
            UInt8(clamping: parts.hour ?? 0), UInt8(clamping: parts.minute ?? 0), UInt8(clamping: parts.second ?? 0),
            UInt8(clamping: (parts.nanosecond ?? 0) / 100_000_000), UInt8(ascii: "+"), 0, 0,
        ]
    }
}
