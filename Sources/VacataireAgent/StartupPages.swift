import Foundation
import Logging

/// The pages of its own files the daemon touched only while starting: the argument
/// parser, the YAML loader, the store's migrations, the template compiler, the first
/// metadata lookups of a 24 MiB text. They stay mapped, and counted in RSS, long after
/// their last use. Once the agent has settled, `release()` asks the kernel to page out
/// the daemon's private file-backed mappings (`MADV_PAGEOUT`, Linux 5.4 and later). It is
/// advice, not a change of contents: a page used again is mapped again from the page
/// cache (a minor fault) or the file; pages another process also maps (a shared library,
/// the same binary run twice on one machine) and written private pages with no swap to go
/// to are left as they are. The idle RSS that remains is the working set
/// (Docs/BENCHMARKS.md).
enum StartupPages {
    /// How long after the agent starts its pages are released: its role settled, its
    /// first checks, heartbeats and notifications done.
    static let settleTime: Duration = .seconds(10)

    /// `MADV_PAGEOUT` from <linux/mman.h>, which Glibc's module does not export.
    private static let pageOut: Int32 = 21

    /// What a release did: the bytes advised, and the resident set before and after.
    struct Release {
        var advisedBytes: Int
        var residentBefore: Int?
        var residentAfter: Int?

        /// The start log's line.
        var summary: String {
            let mebibytes = { (bytes: Int?) in bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "?" }
            return "released the pages only the start used (MADV_PAGEOUT over \(mebibytes(advisedBytes)) of mapped files): "
                + "resident \(mebibytes(residentBefore)) -> \(mebibytes(residentAfter))"
        }
    }

    /// The daemon's service: waits `settleTime`, releases, and logs what it did; returns
    /// early, releasing nothing, when the daemon stops first.
    static func releaseOnceSettled(logger: Logger) async {
        guard (try? await Task.sleep(for: settleTime)) != nil, let release = release() else { return }
        logger.info("\(release.summary)")
    }

    /// Advises the kernel to page out every private mapping of a file (the executable and
    /// the shared libraries); nil when /proc/self/maps cannot be read. An advice the
    /// kernel refuses (an older kernel: EINVAL) is skipped.
    static func release() -> Release? {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
        let before = residentBytes()
        var advised = 0
        for line in maps.split(separator: "\n") {
            guard let range = privateFileMapping(line) else { continue }
            guard let start = UnsafeMutableRawPointer(bitPattern: range.lowerBound) else { continue }
            if madvise(start, range.count, pageOut) == 0 { advised += range.count }
        }
        return Release(advisedBytes: advised, residentBefore: before, residentAfter: residentBytes())
    }

    /// The address range of a /proc/self/maps line that maps a file privately
    /// (`7f..-7f.. r-xp 00000000 08:01 1234 /usr/lib/...`); nil for anything else:
    /// anonymous memory, the heap and stacks, the vDSO, shared mappings (SQLite's `-shm`).
    static func privateFileMapping(_ line: Substring) -> Range<UInt>? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count == 6, fields[1].hasSuffix("p"), fields[5].drop(while: { $0 == " " }).hasPrefix("/") else { return nil }
        let bounds = fields[0].split(separator: "-")
        guard bounds.count == 2, let low = UInt(bounds[0], radix: 16), let high = UInt(bounds[1], radix: 16), low < high else {
            return nil
        }
        return low..<high
    }

    /// The daemon's resident set in bytes (VmRSS), for the log line.
    static func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kib * 1024
    }
}
