import Foundation
import Logging
import VacataireCore

/// The pages of its own files the daemon touched only while starting: the argument
/// parser, the YAML loader, the store's migrations, the template compiler, the first
/// metadata lookups of a 24 MiB text, and the shared libraries' own start (OpenSSL's
/// providers, GnuTLS and p11-kit's constructors, the loader's symbol lookups). They stay
/// mapped, and counted in RSS, long after their last use. Once the agent has settled,
/// `release()` gives them back in two steps, both advice rather than a change of
/// contents (a page used again is mapped again from the page cache, a minor fault, or
/// from the file):
/// - `MADV_PAGEOUT` (Linux 5.4 and later) over every private mapping of a file: the
///   kernel reclaims the pages only this process maps (the executable, most of all). It
///   leaves pages another process also maps (libc, libcrypto: every daemon has them) and
///   written private pages with no swap to go to.
/// - `MADV_DONTNEED` over the read-only mappings' pages that are still the file's (not a
///   private copy the loader wrote: relocations, RELRO): the shared pages the first step
///   left leave this process's page tables and stay in the page cache for the processes
///   that use them. Writable mappings are never touched by this step, as a copy written
///   by another thread between the check and the advice would be lost.
/// The idle RSS that remains is the working set (Docs/BENCHMARKS.md).
enum StartupPages {
    /// How long after the agent starts its pages are released: its role settled, its
    /// first checks, heartbeats and notifications done.
    static let settleTime: Duration = .seconds(10)

    /// `MADV_PAGEOUT` from <linux/mman.h>, which Glibc's module does not export.
    private static let pageOut: Int32 = 21

    /// What a release did: the bytes advised in each step, and the resident set before
    /// and after.
    struct Release {
        var pagedOutBytes: Int
        var unmappedBytes: Int
        var residentBefore: Int?
        var residentAfter: Int?

        /// The start log's line.
        var summary: String {
            let mebibytes = { (bytes: Int?) in bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "?" }
            return "released the pages only the start used (MADV_PAGEOUT over \(mebibytes(pagedOutBytes)) of mapped files, "
                + "MADV_DONTNEED over \(mebibytes(unmappedBytes)) of their read-only pages): "
                + "resident \(mebibytes(residentBefore)) -> \(mebibytes(residentAfter))"
        }
    }

    /// A private mapping of a file, from a /proc/self/maps line.
    struct Mapping: Equatable {
        var range: Range<UInt>
        var writable: Bool
    }

    /// The daemon's service: waits `settleTime`, releases, and logs what it did; returns
    /// early, releasing nothing, when the daemon stops first.
    static func releaseOnceSettled(logger: Logger) async {
        guard (try? await Task.sleep(for: settleTime)) != nil, let release = release() else { return }
        logger.info("\(release.summary)")
    }

    /// Pages out every private mapping of a file (the executable and the shared
    /// libraries), then unmaps the file pages of the read-only ones; nil when
    /// /proc/self/maps cannot be read. An advice the kernel refuses (an older kernel:
    /// EINVAL) is skipped, and so is the second step when /proc/self/pagemap cannot be
    /// read.
    static func release() -> Release? {
        guard let maps = ProcFile.read("/proc/self/maps") else { return nil }
        let mappings = maps.split(separator: "\n").compactMap(privateFileMapping)
        var release = Release(pagedOutBytes: 0, unmappedBytes: 0, residentBefore: residentBytes())
        for mapping in mappings where advise(mapping.range, pageOut) {
            release.pagedOutBytes += mapping.range.count
        }
        let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        if pagemap >= 0 {
            defer { close(pagemap) }
            for mapping in mappings where !mapping.writable {
                for run in filePageRuns(of: mapping.range, pagemap: pagemap) where advise(run, MADV_DONTNEED) {
                    release.unmappedBytes += run.count
                }
            }
        }
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
