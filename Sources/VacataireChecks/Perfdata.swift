/// One performance value in the plugin API's form `'label'=value[UOM];[warn];[crit];[min];[max]`.
///
/// Thresholds are kept as written (they may be ranges such as `10:20` or `@5`).
public struct Perfdata: Sendable, Equatable, Codable, CustomStringConvertible {
    public var label: String
    public var value: Double
    /// Unit of measure: empty, `s`, `ms`, `us`, `%`, `B`, `KB`, `MB`, `TB`, `c`, ...
    public var unit: String
    public var warning: String
    public var critical: String
    public var minimum: Double?
    public var maximum: Double?

    public init(
        label: String, value: Double, unit: String = "", warning: String = "", critical: String = "",
        minimum: Double? = nil, maximum: Double? = nil
    ) {
        self.label = label
        self.value = value
        self.unit = unit
        self.warning = warning
        self.critical = critical
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The plugin API's text form, quoting the label when it has spaces or `=`.
    public var description: String {
        let needsQuotes = label.contains(where: { $0 == " " || $0 == "=" || $0 == "'" })
        let name = needsQuotes ? "'\(label.replacingOccurrences(of: "'", with: "''"))'" : label
        var fields = [Self.format(value) + unit, warning, critical, minimum.map(Self.format) ?? "", maximum.map(Self.format) ?? ""]
        while fields.count > 1, fields.last == "" { fields.removeLast() }
        return "\(name)=\(fields.joined(separator: ";"))"
    }

    /// Plain decimal notation (never `7.4e-05`), at most six decimals, no trailing zeros.
    static func format(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        var text = String(format: "%.6f", number)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Parses every item of a perfdata text; malformed items are skipped, not fatal.
    public static func parseAll(_ text: String) -> [Perfdata] {
        var items: [Perfdata] = []
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard !rest.isEmpty else { break }
            var label = ""
            if rest.first == "'" {
                // A quoted label; `''` inside it stands for one quote.
                rest = rest.dropFirst()
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "'" {
                        if rest.first == "'" { label.append("'"); rest = rest.dropFirst(); continue }
                        break
                    }
                    label.append(character)
                }
            } else {
                let end = rest.firstIndex(where: { $0 == "=" || $0 == " " }) ?? rest.endIndex
                label = String(rest[..<end])
                rest = rest[end...]
            }
            guard rest.first == "=" else {
                rest = rest.drop { $0 != " " }
                continue
            }
            rest = rest.dropFirst()
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            if let item = parseValue(label: label, String(rest[..<end])) { items.append(item) }
            rest = rest[end...]
        }
        return items
    }

    static func parseValue(label: String, _ text: String) -> Perfdata? {
        let fields = text.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard !label.isEmpty, let first = fields.first else { return nil }
        let numberEnd = first.firstIndex { !("0"..."9").contains($0) && $0 != "." && $0 != "-" && $0 != "+" && $0 != "e" && $0 != "E" }
        let numberText = numberEnd.map { String(first[..<$0]) } ?? first
        guard let value = Double(numberText) else { return nil }
        let unit = numberEnd.map { String(first[$0...]) } ?? ""
        func field(_ index: Int) -> String { index < fields.count ? fields[index] : "" }
        return Perfdata(
            label: label, value: value, unit: unit, warning: field(1), critical: field(2),
            minimum: Double(field(3)), maximum: Double(field(4))
        )
    }
}
