import Foundation
import Mustache

/// How the template loader turns one file's text into something to render.
protocol CompiledTemplate {
    associatedtype Template
    static func compile(_ text: String, file: String) -> Result<(Template, TemplateOutline), TemplateSet.LoadError>
}

/// An event's template, parsed in pieces of about `TemplateOutline.chunkBytes` and
/// rendered as the concatenation of the pieces' renderings.
///
/// Why: swift-mustache 2.1's parser measures the distance from each tag to the end of the
/// text (`Parser.read(count:)` calls `String.distance(from:to:)`, which walks the
/// characters), so parsing costs the number of tags times the length of the text: a
/// template of 12,000 sections took about a minute in a debug build.
/// Cut at line starts outside every section (`TemplateOutline.cuts`), each piece costs its
/// own tags times its own length, and the whole is linear in the size. Cutting there
/// changes nothing in the output: swift-mustache starts each piece as it starts each line
/// (a line start, the default delimiters, no open section); the plain-text pragma stands
/// on a line of its own at the head of each later piece, a "standalone" line that
/// swift-mustache removes whole, so the piece's first line is read as at a line start; and
/// a template that changes its delimiters is cut only before the first change.
struct ChunkedTemplate: CompiledTemplate, Sendable {
    /// The pieces, in order; each starts with the plain-text pragma.
    let pieces: [MustacheTemplate]

    func render(_ context: Any, library: MustacheLibrary) -> String {
        pieces.map { $0.render(context, library: library) }.joined()
    }

    static func compile(_ text: String, file: String) -> Result<(ChunkedTemplate, TemplateOutline), TemplateSet.LoadError> {
        let outline: TemplateOutline
        switch TemplateOutline.scan(text, file: file) {
        case .success(let scanned): outline = scanned
        case .failure(let error): return .failure(error)
        }
        let bytes = Array(text.utf8)
        var pieces: [MustacheTemplate] = []
        var start = TemplateOutline.Cut(offset: 0, line: 1)
        for end in outline.cuts + [TemplateOutline.Cut(offset: bytes.count, line: 0)] {
            let piece = String(decoding: bytes[start.offset..<end.offset], as: UTF8.self)
            switch PartialTemplate.parse(piece, file: file, firstLine: start.line, pragmaLine: start.offset > 0) {
            case .success(let template): pieces.append(template)
            case .failure(let error): return .failure(error)
            }
            start = end
        }
        return .success((ChunkedTemplate(pieces: pieces), outline))
    }
}

/// A partial, parsed whole: swift-mustache's library holds one `MustacheTemplate` per
/// name, so partials are kept small (`maximumBytes`) instead of cut.
enum PartialTemplate: CompiledTemplate {
    /// The largest partial: the shipped one is under 1 KB.
    static let maximumBytes = 32 * 1024

    static func compile(_ text: String, file: String) -> Result<(MustacheTemplate, TemplateOutline), TemplateSet.LoadError> {
        if text.utf8.count > maximumBytes {
            return .failure(TemplateSet.LoadError(
                file: file, line: nil, message: "partial is \(text.utf8.count) bytes; at most \(maximumBytes) (32 KiB) are loaded"))
        }
        let outline: TemplateOutline
        switch TemplateOutline.scan(text, file: file) {
        case .success(let scanned): outline = scanned
        case .failure(let error): return .failure(error)
        }
        return parse(text, file: file, firstLine: 1).map { ($0, outline) }
    }

    /// Parses `text` as plain text, its first line being `firstLine` of `file`. The pragma
    /// goes on the first line (as it always has for a whole file), or, with `pragmaLine`,
    /// on a line of its own before it (for the later pieces of a `ChunkedTemplate`).
    static func parse(_ text: String, file: String, firstLine: Int, pragmaLine: Bool = false) -> Result<MustacheTemplate, TemplateSet.LoadError> {
        let pragma = "{{% CONTENT_TYPE: TEXT }}" + (pragmaLine ? "\n" : "")
        do {
            return .success(try MustacheTemplate(string: pragma + text))
        } catch let error as MustacheTemplate.ParserError {
            let line = error.context.lineNumber + firstLine - 1 - (pragmaLine ? 1 : 0)
            return .failure(TemplateSet.LoadError(file: file, line: max(1, line), message: "template syntax error: \(error.error)"))
        } catch {
            return .failure(TemplateSet.LoadError(file: file, line: nil, message: "template syntax error: \(error)"))
        }
    }
}
