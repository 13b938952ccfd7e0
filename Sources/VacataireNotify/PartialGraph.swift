import Foundation

/// Which partials include which: a partial that includes itself, directly or through
/// others (`a -> b -> a`), would make swift-mustache recurse until the stack runs out at
/// the first notification; so would a chain of inclusions too deep. Both are refused at
/// load, located at the inclusion that closes the cycle or goes too deep.
struct PartialGraph {
    /// One loaded file's name (for messages), path and outline.
    struct Node {
        var path: String
        var outline: TemplateOutline
    }

    private let partials: [String: Node]
    /// How deep rendering a partial goes: its own sections, plus one for each inclusion level.
    private var depths: [String: Int] = [:]

    init(partials: [String: Node]) {
        self.partials = partials
    }

    /// Every cycle among the partials, and every template or partial whose inclusions go
    /// deeper than `TemplateOutline.maximumIncludedDepth`.
    mutating func problems(templates: [Node]) -> [TemplateSet.LoadError] {
        var errors: [TemplateSet.LoadError] = []
        var reported: Set<String> = []
        for name in partials.keys.sorted() {
            if let cycle = cycle(from: name), reported.insert(cycle.members.sorted().joined(separator: ",")).inserted {
                errors.append(cycle.error)
            }
        }
        guard errors.isEmpty else { return errors }
        for node in partials.values.sorted(by: { $0.path < $1.path }) + templates {
            for inclusion in node.outline.inclusions {
                let total = node.outline.depth + 1 + depth(of: inclusion.name)
                if total > TemplateOutline.maximumIncludedDepth {
                    errors.append(TemplateSet.LoadError(
                        file: node.path, line: inclusion.line,
                        message: "including `\(inclusion.name)` here nests sections and partials \(total) deep; at most \(TemplateOutline.maximumIncludedDepth)"))
                    break
                }
            }
        }
        return errors
    }

    /// The first cycle reachable from `start`, as the partials on it and an error located
    /// at the inclusion that closes it.
    private func cycle(from start: String) -> (members: [String], error: TemplateSet.LoadError)? {
        // Depth-first, iteratively: each frame is a partial and the index of its next inclusion.
        var path: [(name: String, next: Int)] = [(start, 0)]
        var onPath: Set<String> = [start]
        var finished: Set<String> = []
        while let top = path.last {
            let inclusions = partials[top.name]?.outline.inclusions ?? []
            guard top.next < inclusions.count else {
                finished.insert(top.name)
                onPath.remove(top.name)
                path.removeLast()
                continue
            }
            path[path.count - 1].next += 1
            let inclusion = inclusions[top.next]
            if onPath.contains(inclusion.name) {
                let names = path.map(\.name)
                let members = Array(names[(names.firstIndex(of: inclusion.name) ?? 0)...])
                let chain = (members + [inclusion.name]).joined(separator: " -> ")
                let file = partials[top.name]?.path ?? top.name
                let message = members.count == 1
                    ? "partial `\(inclusion.name)` includes itself; rendering it would never end"
                    : "partial `\(inclusion.name)` includes itself through \(chain); rendering it would never end"
                return (members, TemplateSet.LoadError(file: file, line: inclusion.line, message: message))
            }
            if partials[inclusion.name] != nil, !finished.contains(inclusion.name) {
                path.append((inclusion.name, 0))
                onPath.insert(inclusion.name)
            }
        }
        return nil
    }

    /// How deep rendering partial `name` goes (0 for an unknown one); only called once the
    /// graph is known to have no cycle.
    private mutating func depth(of name: String) -> Int {
        if let known = depths[name] { return known }
        guard let node = partials[name] else { return 0 }
        var deepest = 0
        for inclusion in node.outline.inclusions {
            deepest = max(deepest, 1 + depth(of: inclusion.name))
        }
        let total = min(node.outline.depth + deepest, Int.max / 4)
        depths[name] = total
        return total
    }
}
