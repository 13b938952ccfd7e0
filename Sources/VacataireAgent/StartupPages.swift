import CMemory
import Foundation
import Logging
import VacataireCore

/// The pages of its own files the daemon touched only while starting: the argument
/// parser, the YAML loader, the store's migrations, the template compiler, the Swift
/// runtime's first metadata lookups, and the shared libraries' own start. They stay mapped,
/// and counted in RSS, long after their last use. Once the agent has settled, `release()`
/// unmaps them: `MADV_DONTNEED` over the pages of the read-only private mappings of files
/// that are still the file's (not a private copy the loader wrote: relocations, RELRO),
/// as /proc/self/pagemap tells. The pages stay in the page cache: a page used again is
/// mapped again from there (a minor fault, no I/O), so the release evicts nothing and can
/// delay no check, heartbeat or action. It never pages anything out (`MADV_PAGEOUT` would
/// drop the executable's pages from the page cache, and re-reading them from a busy disk
/// once delayed a 100 ms check into a failover). Writable mappings are never touched, as a
/// copy written by another thread between the check and the advice would be lost. The
/// idle RSS that remains is the working set (Docs/BENCHMARKS.md).
enum StartupPages {
    /// How long after the agent starts its pages are released: its role settled, its
    /// first checks, heartbeats and notifications done.
    static let settleTime: Duration = .seconds(10)
    /// How often they are released again afterwards at the latest: what the agent touched
    /// once (a reload, a status request, a delivery's TLS) is not kept resident for the
    /// rest of its life, and the heap's free memory goes back to the kernel.
    static let releaseInterval: Duration = .seconds(600)
    /// How long after an incident's last step (a transition, a notification decided or
    /// delivered) its pages are released: its paths (libcurl and TLS for the mail,
    /// Net-SNMP for the trap, the templates, the store's writes) are not kept resident
    /// until the next periodic release.
    static let quietTime: Duration = .seconds(30)

    /// When the next release is due: `settleTime` after the start, then `releaseInterval`
    /// after the last release, or `quietTime` after the last activity since it, whichever
    /// comes first. Pure: the service below only follows it.
    struct Schedule: Equatable {
        private(set) var started: MonotonicInstant
        private(set) var lastRelease: MonotonicInstant?
        /// The last activity since the last release (nil: none).
        private(set) var lastActivity: MonotonicInstant?

        init(started: MonotonicInstant) {
            self.started = started
        }

        var due: MonotonicInstant {
            guard let lastRelease else { return started + StartupPages.settleTime }
            let periodic = lastRelease + StartupPages.releaseInterval
            guard let lastActivity else { return periodic }
            return min(periodic, lastActivity + StartupPages.quietTime)
        }

        /// Whether the next release is the start's (logged at info level).
        var isFirst: Bool { lastRelease == nil }

        /// Activity before the start's release changes nothing: that release comes anyway.
        mutating func activity(at now: MonotonicInstant) {
            guard lastRelease != nil else { return }
            lastActivity = now
        }

        mutating func released(at now: MonotonicInstant) {
            lastRelease = now
            lastActivity = nil
        }
    }

    /// What a release did: the bytes unmapped, and the resident set before and after.
    struct Release {
        var unmappedBytes: Int
        var residentBefore: Int?
        var residentAfter: Int?

        /// The start log's line.
        var summary: String {
            let mebibytes = { (bytes: Int?) in bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "?" }
            return "released the pages not in use (MADV_DONTNEED over \(mebibytes(unmappedBytes)) of read-only file pages, "
                + "kept in the page cache; the heap's free pages): resident \(mebibytes(residentBefore)) -> \(mebibytes(residentAfter))"
        }
    }

    /// A private mapping of a file, from a /proc/self/maps line.
    struct Mapping: Equatable {
        var range: Range<UInt>
        var writable: Bool
    }

    /// The daemon's service: releases when `Schedule` says, on a thread of its own (never
    /// the agent's loop), woken early by `activity` (rung by the agent at each transition
    /// and each notification decided or delivered); logs the first release, and the others
    /// at debug level; returns when the daemon stops.
    static func releaseWhileRunning(clock: any AgentClock, activity: Doorbell, logger: Logger) async {
        var schedule = Schedule(started: clock.now)
        while !Task.isCancelled {
            let rang = await activity.wait(until: schedule.due, on: clock)
            if Task.isCancelled { return }
            if rang {
                schedule.activity(at: clock.now)
                continue
            }
            let first = schedule.isFirst
            if let release = await BlockingThread.run(name: "vacataire-pages", { release() }) {
                if first { logger.info("\(release.summary)") } else { logger.debug("\(release.summary)") }
            }
            schedule.released(at: clock.now)
        }
    }

    /// Unmaps the file pages of the read-only private mappings of files; nil when
    /// /proc/self/maps or /proc/self/pagemap cannot be read. An advice the kernel refuses
    /// is skipped.
    static func release() -> Release? {
        guard let maps = ProcFile.read("/proc/self/maps") else { return nil }
        let mappings = maps.split(separator: "\n").compactMap(privateFileMapping)
        var release = Release(unmappedBytes: 0, residentBefore: residentBytes())
        let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard pagemap >= 0 else { return nil }
        defer { close(pagemap) }
        for mapping in mappings where !mapping.writable {
            for run in filePageRuns(of: mapping.range, pagemap: pagemap) where advise(run, MADV_DONTNEED) {
                release.unmappedBytes += run.count
            }
        }
        // The heap's free pages too, in every arena (what the start's parsing and compiling
        // freed, and an incident's since): they are anonymous, so nothing is lost.
        _ = cmemory_trim()
        release.residentAfter = residentBytes()
        return release
    }

    /// The private mapping of a file a /proc/self/maps line describes
    /// (`7f..-7f.. r-xp 00000000 08:01 1234 /usr/lib/...`); nil for anything else:
    /// anonymous memory, the heap and stacks, the vDSO, shared mappings (SQLite's `-shm`).
    static func privateFileMapping(_ line: Substring) -> Mapping? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count == 6, fields[1].count == 4, fields[1].hasSuffix("p"),
              fields[5].drop(while: { $0 == " " }).hasPrefix("/")
        else { return nil }
        let bounds = fields[0].split(separator: "-")
        guard bounds.count == 2, let low = UInt(bounds[0], radix: 16), let high = UInt(bounds[1], radix: 16), low < high else {
            return nil
        }
        return Mapping(range: low..<high, writable: fields[1].dropFirst().first == "w")
    }

    /// The runs of `range` that hold no private copy of a page: the pages still the
    /// file's and the pages not present, split at every page /proc/self/pagemap reports
    /// present or swapped without its "file page" bit (bits 63, 62 and 61). Empty when
    /// the pagemap cannot be read.
    static func filePageRuns(of range: Range<UInt>, pagemap: Int32) -> [Range<UInt>] {
        let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let pages = range.count / Int(pageSize)
        var entries = [UInt64](repeating: 0, count: pages)
        let wanted = pages * MemoryLayout<UInt64>.size
        let read = entries.withUnsafeMutableBytes { pread(pagemap, $0.baseAddress, wanted, off_t(range.lowerBound / pageSize * 8)) }
        guard read == wanted else { return [] }
        var runs: [Range<UInt>] = []
        var runStart: UInt?
        for (index, entry) in entries.enumerated() {
            let address = range.lowerBound + UInt(index) * pageSize
            let inUse = entry & (0b11 << 62) != 0
            let privateCopy = inUse && entry & (1 << 61) == 0
            if privateCopy {
                if let start = runStart { runs.append(start..<address) }
                runStart = nil
            } else if runStart == nil {
                runStart = address
            }
        }
        if let start = runStart { runs.append(start..<range.upperBound) }
        return runs
    }

    /// `madvise` over `range`; false when the kernel refuses the advice.
    private static func advise(_ range: Range<UInt>, _ advice: Int32) -> Bool {
        guard let start = UnsafeMutableRawPointer(bitPattern: range.lowerBound) else { return false }
        return madvise(start, Int(range.count), advice) == 0
    }

    /// The daemon's resident set in bytes (VmRSS), for the log line.
    static func residentBytes() -> Int? {
        guard let status = ProcFile.read("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kib * 1024
    }
}
