/// A Nagios/Monitoring plugin's output, split the way the plugin API defines it:
/// the first line's text is the message; perfdata follows a `|` on the first line and on
/// the long-text line that has one, after which every line is perfdata.
public struct PluginOutput: Sendable, Equatable {
    public var message: String
    public var details: String
    public var perfdata: [Perfdata]

    public static func parse(_ text: String) -> PluginOutput {
        // Any line ending: "\r\n" is one Character in Swift, which a split on "\n" never finds.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        while lines.last?.trimmingCharacters(in: .whitespaces) == "" { lines.removeLast() }
        guard let first = lines.first else {
            return PluginOutput(message: "(no output returned from plugin)", details: "", perfdata: [])
        }
        let (message, firstPerf) = split(first)
        var perfText = firstPerf.map { [$0] } ?? []
        var details: [String] = []
        var inPerfdata = false
        for line in lines.dropFirst() {
            if inPerfdata {
                perfText.append(line)
            } else {
                let (text, perf) = split(line)
                details.append(text)
                if let perf {
                    perfText.append(perf)
                    inPerfdata = true
                }
            }
        }
        let shown = message.trimmingCharacters(in: .whitespaces)
        return PluginOutput(
            message: shown.isEmpty ? "(no output returned from plugin)" : shown,
            details: details.joined(separator: "\n"),
            perfdata: Perfdata.parseAll(perfText.joined(separator: " "))
        )
    }

    private static func split(_ line: String) -> (String, String?) {
        guard let bar = line.firstIndex(of: "|") else { return (line, nil) }
        return (String(line[..<bar]), String(line[line.index(after: bar)...]))
    }
}
