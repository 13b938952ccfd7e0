import Logging

/// Wraps the daemon's log handler so that every entry's message is one line of printable
/// text. Messages quote text the agent did not write (a plugin's output, a server's reply, a
/// peer's detail); a line break or a terminal escape in it is shown escaped (`\n`, `\r`,
/// `\u{1B}`), so no such text can forge a log line or rewrite the operator's terminal.
public struct OneLineLogHandler: LogHandler {
    private var wrapped: any LogHandler

    public init(_ wrapped: any LogHandler) {
        self.wrapped = wrapped
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        let text = "\(event.message)"
        if text.unicodeScalars.contains(where: Self.mustEscape) {
            event.message = Logger.Message(stringLiteral: Self.escaped(text))
        }
        wrapped.log(event: event)
    }

    /// `text` with every control character but the tab written as an escape.
    static func escaped(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case _ where mustEscape(scalar): result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// C0 and C1 controls (but the tab), DEL, and the Unicode line and paragraph separators.
    private static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: return false
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
