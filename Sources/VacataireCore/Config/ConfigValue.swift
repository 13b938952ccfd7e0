import Foundation

/// Why a scalar could not be read as the expected type.
public struct ConfigValueError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// A type that a single YAML scalar can be read as.
public protocol ConfigValue {
    /// What the user should write, for error messages ("a whole number").
    static var expectation: String { get }
    static func parse(_ text: String) -> Result<Self, ConfigValueError>
}

extension String: ConfigValue {
    public static var expectation: String { "a text value" }
    public static func parse(_ text: String) -> Result<String, ConfigValueError> {
        .success(text)
    }
}

extension Int: ConfigValue {
    public static var expectation: String { "a whole number" }
    public static func parse(_ text: String) -> Result<Int, ConfigValueError> {
        guard let value = Int(text) else { return .failure(.init("expected a whole number")) }
        return .success(value)
    }
}

extension Bool: ConfigValue {
    public static var expectation: String { "true or false" }
    public static func parse(_ text: String) -> Result<Bool, ConfigValueError> {
        switch text.lowercased() {
        case "true", "yes", "on": return .success(true)
        case "false", "no", "off": return .success(false)
        default: return .failure(.init("expected true or false"))
        }
    }
}

/// A span of time written as `250ms`, `10s`, `2m`, `1h`, `1d`, or a plain number of seconds.
public struct ConfigDuration: ConfigValue, Equatable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) {
        self.seconds = seconds
    }

    public static var expectation: String { "a duration such as 500ms, 10s, 2m or 1h" }

    /// The longest duration any setting accepts: 365 days. Keys with tighter bounds check
    /// them where they are read (`ConfigReader.duration`); this one keeps every conversion
    /// to nanoseconds far from `Int64.max` (about 292 years).
    public static let maximum = ConfigDuration(seconds: 365 * 86_400)

    public static func parse(_ text: String) -> Result<ConfigDuration, ConfigValueError> {
        let units: [(suffix: String, factor: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var parsed: Double?
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            let number = trimmed.dropLast(unit.suffix.count).trimmingCharacters(in: .whitespaces)
            if let value = Double(number), value.isFinite, value >= 0 {
                parsed = value * unit.factor
                break
            }
        }
        if parsed == nil, let value = Double(trimmed), value.isFinite, value >= 0 {
            parsed = value
        }
        guard let seconds = parsed else { return .failure(.init("expected \(expectation)")) }
        guard seconds.isFinite, seconds <= maximum.seconds else {
            return .failure(.init("expected a duration of at most 365d"))
        }
        return .success(ConfigDuration(seconds: seconds))
    }

    /// Whole milliseconds, rounded, saturating at 0 and `Int64.max` (never traps).
    public var milliseconds: Int64 {
        Self.saturating(seconds * 1_000)
    }

    /// Whole nanoseconds, rounded, saturating at 0 and `Int64.max` (never traps).
    public var nanoseconds: Int64 {
        Self.saturating(seconds * 1_000_000_000)
    }

    /// The same span as a Swift `Duration`, saturating like `nanoseconds`.
    public var duration: Duration {
        .nanoseconds(nanoseconds)
    }

    static func saturating(_ value: Double) -> Int64 {
        guard !value.isNaN else { return 0 }
        let rounded = value.rounded()
        if !(rounded > 0) { return 0 }
        // 2^63 is exactly representable; anything at or above it does not fit.
        if rounded >= 9_223_372_036_854_775_808.0 { return Int64.max }
        return Int64(rounded)
    }

    public static func < (lhs: ConfigDuration, rhs: ConfigDuration) -> Bool {
        lhs.seconds < rhs.seconds
    }

    public var description: String {
        if seconds < 1, seconds > 0 { return "\(Self.saturating(seconds * 1000))ms" }
        if seconds.isFinite, seconds == seconds.rounded(), seconds < 1e15 {
            return "\(Self.saturating(seconds))s"
        }
        return "\(seconds)s"
    }
}

/// A TCP or UDP port number, 1 to 65535.
public struct Port: ConfigValue, Equatable, Sendable, CustomStringConvertible {
    public var number: UInt16

    public init(_ number: UInt16) {
        self.number = number
    }

    public static var expectation: String { "a port number from 1 to 65535" }

    public static func parse(_ text: String) -> Result<Port, ConfigValueError> {
        guard let value = Int(text), (1...65535).contains(value) else {
            return .failure(.init("expected \(expectation)"))
        }
        return .success(Port(UInt16(value)))
    }

    public var description: String { String(number) }
}

/// An email address for an envelope: `local@domain`, no spaces or angle brackets.
public struct EmailAddress: ConfigValue, Equatable, Sendable, CustomStringConvertible {
    public var address: String

    public init(address: String) {
        self.address = address
    }

    public static var expectation: String { "an email address such as oncall@example.org" }

    public static func parse(_ text: String) -> Result<EmailAddress, ConfigValueError> {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        let forbidden = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "<>,;\"()"))
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              text.rangeOfCharacter(from: forbidden) == nil
        else {
            return .failure(.init("expected \(expectation)"))
        }
        return .success(EmailAddress(address: text))
    }

    public var description: String { address }
}

/// A host name or an IPv4/IPv6 address (IPv6 without brackets).
public struct HostAddress: ConfigValue, Equatable, Sendable, CustomStringConvertible {
    public var host: String

    public init(host: String) {
        self.host = host
    }

    public static var expectation: String { "a host name or an IP address" }

    public static func parse(_ text: String) -> Result<HostAddress, ConfigValueError> {
        if isIPv4(text) || isIPv6(text) { return .success(HostAddress(host: text)) }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-"))
        let looksLikeIPv4 = labels.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
        let valid = !text.isEmpty && text.count <= 253 && !looksLikeIPv4 && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { $0.isASCII && allowed.contains($0) }
        }
        return valid ? .success(HostAddress(host: text)) : .failure(.init("expected \(expectation)"))
    }

    public var isIPv6: Bool { Self.isIPv6(host) }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    public var description: String { host }
}

/// A value from a fixed set of words, such as `version: 2c`.
public protocol ConfigKeyword: ConfigValue, RawRepresentable, CaseIterable where RawValue == String {}

extension ConfigKeyword {
    public static var expectation: String {
        "one of: " + allCases.map(\.rawValue).joined(separator: ", ")
    }

    public static func parse(_ text: String) -> Result<Self, ConfigValueError> {
        guard let value = Self(rawValue: text) else { return .failure(.init("expected \(expectation)")) }
        return .success(value)
    }
}
