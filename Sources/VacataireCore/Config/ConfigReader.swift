import Foundation
import Yams

/// Collects the problems found while reading one configuration file.
///
/// Reading goes on after a problem so that one run of `check-config` reports all of them.
public final class ConfigProblems {
    public let file: String
    public private(set) var all: [ConfigProblem] = []

    public init(file: String) {
        self.file = file
    }

    public func add(_ message: String, key: String, at mark: Mark?) {
        all.append(ConfigProblem(file: file, line: mark?.line, key: key, message: message))
    }
}

/// A typed, located view of one YAML mapping of the configuration.
///
/// Each accessor marks its key as known; `finish()` reports every key nobody asked for as
/// unknown, so a typo such as `recipents:` is an error instead of a silently ignored line.
/// Values of the wrong type are reported with the expectation and read as absent.
public final class ConfigReader {
    public let path: String
    public let mark: Mark?
    public let problems: ConfigProblems
    let pairs: [(key: String, keyMark: Mark?, value: Node)]
    private var known: Set<String> = []

    /// Reads the whole document of `text`, or records why it cannot be read.
    public static func document(_ text: String, problems: ConfigProblems) -> ConfigReader? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            problems.add(Self.describe(error), key: "", at: Self.mark(of: error))
            return nil
        } catch {
            problems.add("not valid YAML: \(error)", key: "", at: nil)
            return nil
        }
        guard let root else {
            problems.add("the file is empty; expected a mapping with at least `node:`", key: "", at: nil)
            return nil
        }
        return ConfigReader(node: root, path: "", problems: problems)
    }

    /// A reader for `node`, or nil (with a problem recorded) when it is not a mapping.
    public convenience init?(node: Node, path: String, problems: ConfigProblems) {
        guard let mapping = node.mapping else {
            problems.add("expected a mapping of keys to values, found \(Self.kind(of: node))", key: path, at: node.mark)
            return nil
        }
        var pairs: [(String, Mark?, Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                problems.add("keys must be plain words", key: path, at: key.mark)
                continue
            }
            pairs.append((name, key.mark, value))
        }
        self.init(pairs: pairs, path: path, mark: node.mark, problems: problems)
    }

    private init(pairs: [(key: String, keyMark: Mark?, value: Node)], path: String, mark: Mark?, problems: ConfigProblems) {
        self.pairs = pairs
        self.path = path
        self.mark = mark
        self.problems = problems
    }

    /// The dotted path of `key` inside this mapping.
    public func keyPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// Whether the mapping has `key` (and marks it known).
    public func has(_ key: String) -> Bool {
        known.insert(key)
        return pairs.contains { $0.key == key }
    }

    /// The raw node for `key`, marking it known.
    public func node(_ key: String) -> Node? {
        known.insert(key)
        return pairs.first { $0.key == key }?.value
    }

    /// Records a problem about `key` of this mapping, at the key's line when present.
    public func problem(_ key: String, _ message: String) {
        let mark = pairs.first { $0.key == key }?.value.mark ?? self.mark
        problems.add(message, key: keyPath(key), at: mark)
    }

    /// A required value: absent or malformed records a problem and returns nil.
    public func required<Value: ConfigValue>(_ key: String, _ type: Value.Type = Value.self) -> Value? {
        guard let node = node(key) else {
            problems.add("missing; expected \(Value.expectation)", key: keyPath(key), at: mark)
            return nil
        }
        return decode(node, key: keyPath(key))
    }

    /// An optional value: absent returns nil silently, malformed records a problem.
    public func optional<Value: ConfigValue>(_ key: String, _ type: Value.Type = Value.self) -> Value? {
        guard let node = node(key) else { return nil }
        return decode(node, key: keyPath(key))
    }

    /// A nested mapping, or nil when absent (silently) or not a mapping (with a problem).
    public func mapping(_ key: String) -> ConfigReader? {
        guard let node = node(key) else { return nil }
        return ConfigReader(node: node, path: keyPath(key), problems: problems)
    }

    /// A sequence of mappings, each read by `read`; absent reads as empty.
    public func list<Element>(_ key: String, _ read: (ConfigReader) -> Element?) -> [Element] {
        guard let node = node(key), !Self.isNull(node) else { return [] }
        guard let sequence = node.sequence else {
            problems.add("expected a list (lines starting with `- `), found \(Self.kind(of: node))", key: keyPath(key), at: node.mark)
            return []
        }
        var result: [Element] = []
        for (index, item) in sequence.enumerated() {
            guard let reader = ConfigReader(node: item, path: "\(keyPath(key))[\(index)]", problems: problems) else { continue }
            if let element = read(reader) {
                result.append(element)
            }
            reader.finish()
        }
        return result
    }

    /// A list of scalar values; a single scalar is accepted as a list of one.
    public func values<Value: ConfigValue>(_ key: String, _ type: Value.Type = Value.self) -> [Value]? {
        guard let node = node(key) else { return nil }
        let items: [Node]
        if let sequence = node.sequence {
            items = Array(sequence)
        } else {
            items = [node]
        }
        var result: [Value] = []
        for (index, item) in items.enumerated() {
            if let value: Value = decode(item, key: "\(keyPath(key))[\(index)]") {
                result.append(value)
            }
        }
        return result
    }

    /// Reports every key that no accessor asked for.
    public func finish() {
        for pair in pairs where !known.contains(pair.key) {
            let expected = known.sorted().joined(separator: ", ")
            problems.add("unknown key; expected one of: \(expected)", key: keyPath(pair.key), at: pair.keyMark)
        }
    }

    private func decode<Value: ConfigValue>(_ node: Node, key: String) -> Value? {
        guard let scalar = node.scalar else {
            problems.add("expected \(Value.expectation), found \(Self.kind(of: node))", key: key, at: node.mark)
            return nil
        }
        switch Value.parse(scalar.string) {
        case .success(let value):
            return value
        case .failure(let reason):
            problems.add("\(reason.message) (found `\(scalar.string)`)", key: key, at: node.mark)
            return nil
        }
    }

    /// `key:` with nothing after it, `~` or `null`.
    static func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func kind(of node: Node) -> String {
        switch node {
        case .scalar: return "a single value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func mark(of error: YamlError) -> Mark? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark
        case .duplicatedKeysInMapping(_, let context):
            return context.mark
        default:
            return nil
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            let prefix = context.map { "\($0.text): " } ?? ""
            return "not valid YAML: \(prefix)\(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key(s) \(duplicates.joined(separator: ", ")); each key may appear once"
        default:
            return "not valid YAML: \(error)"
        }
    }
}
