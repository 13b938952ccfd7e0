import Foundation
import Mustache
import VacataireCore

/// The message templates of every event kind: one email subject, one email body and one
/// SNMP message each: the built-in defaults (Templates/, compiled in), or a defaults
/// directory, overridden file by file by `templates_dir`.
///
/// Files are named `<event>.<part>.mustache`, e.g. `failover.subject.mustache`; shared
/// pieces are partials named `<name>.partial.mustache`, used as `{{> name}}`. Templates
/// render plain text: `{{name}}` is not HTML-escaped.
public struct TemplateSet: Sendable {
    /// The three texts of one message.
    public enum Part: String, CaseIterable, Sendable {
        case subject, body, snmp
    }

    /// A template that is missing or does not parse, named by its file.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var message: String

        public var description: String {
            let place = line.map { "\(file):\($0)" } ?? file
            return "\(place): \(message)"
        }
    }

    /// The rendered texts of one notification.
    public struct Rendered: Sendable, Equatable {
        public var subject: String
        public var body: String
        public var snmp: String
    }

    private var templates: [String: ChunkedTemplate]
    private var partials: MustacheLibrary
    /// Where each template was read from, for `check-config` and errors: a file path, or
    /// `built-in:NAME` for a default compiled into the binary.
    public private(set) var sources: [String: String]

    /// The source of a built-in template, as `sources` and errors name it.
    public static let builtInPrefix = "built-in:"

    /// Loads every template for every event kind; collects all problems before throwing.
    /// `defaults` nil means the built-in templates.
    public init(defaults: String?, overrides: String?) throws(TemplateSetErrors) {
        var templates: [String: ChunkedTemplate] = [:]
        var sources: [String: String] = [:]
        var errors: [LoadError] = []
        var partials = MustacheLibrary()
        var partialOutlines: [String: PartialGraph.Node] = [:]
        var templateOutlines: [PartialGraph.Node] = []
        for (name, path) in Self.partialFiles(defaults: defaults, overrides: overrides) {
            switch Self.load(path, as: PartialTemplate.self) {
            case .success(let (template, outline)):
                partials.register(template, named: name)
                partialOutlines[name] = PartialGraph.Node(path: path, outline: outline)
                sources["\(name).partial.mustache"] = path
            case .failure(let error):
                errors.append(error)
            }
        }
        for kind in EventKind.allCases {
            for part in Part.allCases {
                let name = Self.fileName(kind, part)
                let override = overrides.map { "\($0)/\(name)" }
                let path = override.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
                    ?? defaults.map { "\($0)/\(name)" } ?? Self.builtInPrefix + name
                switch Self.load(path, as: ChunkedTemplate.self) {
                case .success(let (template, outline)):
                    templates[name] = template
                    templateOutlines.append(PartialGraph.Node(path: path, outline: outline))
                    sources[name] = path
                case .failure(let error):
                    errors.append(error)
                }
            }
        }
        errors += Self.missingPartials(in: partialOutlines.values.map { $0 } + templateOutlines, known: Set(partialOutlines.keys))
        var graph = PartialGraph(partials: partialOutlines)
        errors += graph.problems(templates: templateOutlines)
        if let overrides {
            errors += Self.strayOverrides(in: overrides)
        }
        guard errors.isEmpty else { throw TemplateSetErrors(errors: errors) }
        self.templates = templates
        self.partials = partials
        self.sources = sources
    }

    /// Partial name → file, the override directory's winning over the defaults'.
    static func partialFiles(defaults: String?, overrides: String?) -> [(String, String)] {
        var files: [String: String] = [:]
        if defaults == nil {
            for name in BuiltInTemplates.files.keys where name.hasSuffix(".partial.mustache") {
                files[String(name.dropLast(".partial.mustache".count))] = builtInPrefix + name
            }
        }
        for directory in [defaults, overrides].compactMap({ $0 }) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names where name.hasSuffix(".partial.mustache") {
                files[String(name.dropLast(".partial.mustache".count))] = "\(directory)/\(name)"
            }
        }
        return files.sorted { $0.key < $1.key }
    }

    /// Renders the three texts for `notification`.
    public func render(_ notification: NotifiableEvent) -> Rendered {
        let context = notification.templateContext
        func text(_ part: Part) -> String {
            templates[Self.fileName(notification.kind, part)]?.render(context, library: partials) ?? ""
        }
        let subject = text(.subject).split(whereSeparator: \.isNewline).joined(separator: " ")
        return Rendered(
            subject: subject.trimmingCharacters(in: .whitespaces),
            body: text(.body),
            snmp: text(.snmp).trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }

    /// The default templates directory: `$VACATAIRE_TEMPLATES` when set and not empty;
    /// otherwise nil, the built-in templates.
    public static func defaultDirectory() -> String? {
        guard let fromEnvironment = ProcessInfo.processInfo.environment["VACATAIRE_TEMPLATES"], !fromEnvironment.isEmpty else {
            return nil
        }
        return fromEnvironment
    }

    /// `{{> name}}` with no `name.partial.mustache`: Mustache would render nothing there,
    /// silently; `check-config` says so instead.
    static func missingPartials(in files: [PartialGraph.Node], known: Set<String>) -> [LoadError] {
        var errors: [LoadError] = []
        for file in files.sorted(by: { $0.path < $1.path }) {
            for inclusion in file.outline.inclusions where !known.contains(inclusion.name) {
                errors.append(LoadError(
                    file: file.path, line: inclusion.line,
                    message: "partial `\(inclusion.name)` does not exist (no \(inclusion.name).partial.mustache in the templates or templates_dir)"))
            }
        }
        return errors
    }

    /// A `.mustache` file in `templates_dir` that replaces nothing (a misspelt name would
    /// otherwise be ignored without a word).
    static func strayOverrides(in directory: String) -> [LoadError] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let expected = Set(EventKind.allCases.flatMap { kind in Part.allCases.map { fileName(kind, $0) } })
        return names.sorted().filter { $0.hasSuffix(".mustache") && !$0.hasSuffix(".partial.mustache") && !expected.contains($0) }.map {
            LoadError(file: "\(directory)/\($0)", line: nil,
                      message: "replaces no template: expected EVENT.subject.mustache, EVENT.body.mustache, EVENT.snmp.mustache (EVENT one of \(EventKind.allCases.map(\.rawValue).joined(separator: ", "))) or NAME.partial.mustache")
        }
    }

    static func fileName(_ kind: EventKind, _ part: Part) -> String {
        "\(kind.rawValue).\(part.rawValue).mustache"
    }

    static func load<Compiled: CompiledTemplate>(_ path: String, as kind: Compiled.Type) -> Result<(Compiled.Template, TemplateOutline), LoadError> {
        let text: String
        switch TemplateFile.read(path) {
        case .success(let read): text = read
        case .failure(let error): return .failure(error)
        }
        return Compiled.compile(text, file: path)
    }
}

/// Every template that failed to load.
public struct TemplateSetErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [TemplateSet.LoadError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
