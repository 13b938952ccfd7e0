import Foundation

/// A strict reader of Prometheus's text exposition format, for tests of `/metrics`: every
/// line is a `# HELP`/`# TYPE` comment or `name{label="value",...} value`, and every
/// sample belongs to a family declared by a `# TYPE` line before it.
public struct PrometheusText: Sendable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public private(set) var samples: [Sample] = []
    /// Family name to its type (`counter`, `gauge`, ...).
    public private(set) var types: [String: String] = [:]

    public init(_ text: String) throws {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", maxSplits: 3).map(String.init)
                if words.count >= 4, words[1] == "TYPE" {
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(words[3]) else {
                        throw FixtureError("line \(number): unknown metric type in `\(line)`")
                    }
                    types[words[2]] = words[3]
                }
                continue
            }
            let sample = try Self.sample(String(line), number: number)
            let family = ["_bucket", "_sum", "_count"].reduce(sample.name) { name, suffix in
                types[name] == nil && name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
            }
            guard types[family] != nil else {
                throw FixtureError("line \(number): sample \(sample.name) has no `# TYPE` line before it")
            }
            samples.append(sample)
        }
    }

    /// The value of the one sample `name` whose labels include `labels`.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    static func sample(_ line: String, number: Int) throws -> Sample {
        let nameEnd = line.firstIndex { $0 == "{" || $0 == " " } ?? line.endIndex
        let name = String(line[..<nameEnd])
        guard let first = name.first, first.isLetter || first == "_" || first == ":",
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }) else {
            throw FixtureError("line \(number): `\(name)` is not a metric name")
        }
        var rest = line[nameEnd...]
        var labels: [String: String] = [:]
        if rest.hasPrefix("{") {
            guard let close = rest.lastIndex(of: "}") else { throw FixtureError("line \(number): unclosed labels in `\(line)`") }
            let body = rest[rest.index(after: rest.startIndex)..<close]
            for pair in body.split(separator: ",") where !pair.isEmpty {
                guard let equals = pair.firstIndex(of: "="), pair[pair.index(after: equals)...].hasPrefix("\""), pair.hasSuffix("\"") else {
                    throw FixtureError("line \(number): `\(pair)` is not label=\"value\"")
                }
                labels[String(pair[..<equals])] = String(pair[pair.index(equals, offsetBy: 2)..<pair.index(before: pair.endIndex)])
            }
            rest = rest[rest.index(after: close)...]
        }
        let words = rest.split(separator: " ")
        guard rest.hasPrefix(" "), (1...2).contains(words.count), let value = Double(words[0]) else {
            throw FixtureError("line \(number): expected `name{labels} value`, found `\(line)`")
        }
        return Sample(name: name, labels: labels, value: value)
    }
}
