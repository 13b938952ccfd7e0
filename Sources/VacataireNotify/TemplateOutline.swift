import Foundation

/// What the template loader checks in a template's text before swift-mustache parses it:
/// its size, how deeply its sections nest, and the partials it includes (with their
/// lines), so that `TemplateSet` can refuse a template that would exhaust the stack when
/// parsed or rendered, and a partial that includes itself, with the file and line.
///
/// It reads tags only as far as these checks need (section openings and closings, partial
/// names, delimiter changes); parsing and rendering stay swift-mustache's. One pass, linear
/// in the size of the text.
struct TemplateOutline: Sendable, Equatable {
    /// The largest template file loaded: the shipped ones are under 2 KB.
    static let maximumBytes = 256 * 1024
    /// The deepest nesting of sections in one file; the shipped templates use 3.
    static let maximumDepth = 32
    /// The deepest nesting through partials, each partial's own depth included.
    static let maximumIncludedDepth = 64

    /// A `{{> name}}` (or `{{< name}}`) and the 1-based line it is on.
    struct Inclusion: Sendable, Equatable {
        var name: String
        var line: Int
    }

    /// A place where the text may be cut into pieces that swift-mustache parses apart
    /// (`ChunkedTemplate`): the start of a line outside every section, before any change
    /// of delimiters; `line` is that line's 1-based number.
    struct Cut: Sendable, Equatable {
        var offset: Int
        var line: Int
    }

    /// The smallest piece between two cuts, in bytes.
    static let chunkBytes = 4 * 1024

    /// Partials this text includes, in order.
    var inclusions: [Inclusion] = []
    /// The deepest section nesting.
    var depth = 0
    /// Cuts at least `chunkBytes` apart.
    var cuts: [Cut] = []

    /// Why the text of `file` is refused before parsing, or its outline.
    static func scan(_ text: String, file: String) -> Result<TemplateOutline, TemplateSet.LoadError> {
        let bytes = Array(text.utf8)
        if bytes.count > maximumBytes {
            return .failure(TemplateSet.LoadError(
                file: file, line: nil,
                message: "template is \(bytes.count) bytes; at most \(maximumBytes) (256 KiB) are loaded"))
        }
        var outline = TemplateOutline()
        var open: [UInt8] = Array("{{".utf8)
        var close: [UInt8] = Array("}}".utf8)
        var line = 1
        var nesting = 0
        var index = 0
        var delimitersChanged = false
        var lastCut = 0
        while index < bytes.count {
            guard starts(bytes, at: index, with: open) else {
                if bytes[index] == 0x0A {
                    line += 1
                    if nesting == 0, !delimitersChanged, index + 1 - lastCut >= chunkBytes, index + 1 < bytes.count {
                        lastCut = index + 1
                        outline.cuts.append(Cut(offset: lastCut, line: line))
                    }
                }
                index += 1
                continue
            }
            // swift-mustache reads an opening delimiter followed by a line break as text,
            // not as a tag; so does the outline, or it would miss the tags that follow.
            if startsLine(bytes, at: index + open.count) {
                index += open.count
                continue
            }
            let tagLine = line
            var end = index + open.count
            while end < bytes.count, !starts(bytes, at: end, with: close) {
                if bytes[end] == 0x0A { line += 1 }
                end += 1
            }
            // An unclosed tag is swift-mustache's to report, with its own words.
            guard end < bytes.count else { break }
            let content = bytes[(index + open.count)..<end]
            index = end + close.count
            guard let sigil = content.first(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            let rest = String(decoding: content.drop(while: { $0 != sigil }).dropFirst(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            switch sigil {
            case UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "$"):
                nesting += 1
            case UInt8(ascii: "<"):
                nesting += 1
                outline.inclusions.append(Inclusion(name: rest, line: tagLine))
            case UInt8(ascii: "/"):
                nesting = max(0, nesting - 1)
            case UInt8(ascii: ">"):
                outline.inclusions.append(Inclusion(name: rest.hasPrefix("*") ? String(rest.dropFirst()) : rest, line: tagLine))
            case UInt8(ascii: "="):
                // `{{=<% %>=}}`: the new opening and closing delimiters, separated by spaces.
                let words = rest.hasSuffix("=") ? rest.dropLast().split(whereSeparator: \.isWhitespace) : []
                if words.count == 2 {
                    open = Array(words[0].utf8)
                    close = Array(words[1].utf8)
                }
                delimitersChanged = true
            default:
                break
            }
            if nesting > outline.depth {
                outline.depth = nesting
                if nesting > maximumDepth {
                    return .failure(TemplateSet.LoadError(
                        file: file, line: tagLine,
                        message: "sections nested more than \(maximumDepth) deep; flatten the template"))
                }
            }
        }
        if !delimitersChanged { outline.addEveryPartialTag(bytes) }
        return .success(outline)
    }

    /// Every `{{>name}}` in the text counts as an inclusion, even one inside what the scan
    /// took for another tag (a stray `{{` before it): swift-mustache reads some such text
    /// differently and would include the partial, and a cycle missed there recursed until
    /// the stack ran out. Counting too many inclusions can only refuse a template.
    private mutating func addEveryPartialTag(_ bytes: [UInt8]) {
        var line = 1
        var index = 0
        while index + 3 < bytes.count {
            if bytes[index] == 0x0A { line += 1 }
            guard bytes[index] == 0x7B, bytes[index + 1] == 0x7B, bytes[index + 2] == 0x3E else {
                index += 1
                continue
            }
            var end = index + 3
            while end + 1 < bytes.count, !(bytes[end] == 0x7D && bytes[end + 1] == 0x7D), bytes[end] != 0x0A { end += 1 }
            let name = String(decoding: bytes[(index + 3)..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if !inclusions.contains(where: { $0.name == name }) {
                inclusions.append(Inclusion(name: name, line: line))
            }
            index = end
        }
    }

    /// Whether a character that Swift counts as a line break starts at `index`: LF, VT, FF,
    /// CR, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR (`Character.isNewline`).
    private static func startsLine(_ bytes: [UInt8], at index: Int) -> Bool {
        guard index < bytes.count else { return false }
        if (0x0A...0x0D).contains(bytes[index]) { return true }
        if bytes[index] == 0xC2, index + 1 < bytes.count, bytes[index + 1] == 0x85 { return true }
        return bytes[index] == 0xE2 && index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9)
    }

    private static func starts(_ bytes: [UInt8], at index: Int, with prefix: [UInt8]) -> Bool {
        guard !prefix.isEmpty, index + prefix.count <= bytes.count else { return false }
        for offset in 0..<prefix.count where bytes[index + offset] != prefix[offset] {
            return false
        }
        return true
    }
}
