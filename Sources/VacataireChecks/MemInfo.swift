/// The fields of /proc/meminfo that the memory check needs, in kibibytes.
public struct MemInfo: Sendable, Equatable {
    public var memTotal: UInt64
    public var memAvailable: UInt64
    public var swapTotal: UInt64
    public var swapFree: UInt64

    /// Why a meminfo text cannot be used.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case missing(String)

        public var description: String {
            switch self {
            case .missing(let field): return "meminfo has no `\(field)` line (MemAvailable needs Linux 3.14 or later)"
            }
        }
    }

    /// Parses the text of /proc/meminfo (`MemTotal:  16318480 kB` lines).
    public static func parse(_ text: String) -> Result<MemInfo, ParseError> {
        var values: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            if parts.count >= 2, let value = UInt64(parts[1]) {
                values[parts[0]] = value
            }
        }
        var found: [UInt64] = []
        for name in ["MemTotal", "MemAvailable", "SwapTotal", "SwapFree"] {
            guard let value = values[Substring(name)] else { return .failure(.missing(name)) }
            found.append(value)
        }
        guard found[0] > 0 else { return .failure(.missing("MemTotal")) }
        return .success(MemInfo(memTotal: found[0], memAvailable: found[1], swapTotal: found[2], swapFree: found[3]))
    }

    public var availablePercent: Double { Double(memAvailable) * 100 / Double(memTotal) }

    /// Free swap in percent of the total, or nil on a machine without swap.
    public var swapFreePercent: Double? {
        swapTotal == 0 ? nil : Double(swapFree) * 100 / Double(swapTotal)
    }
}
