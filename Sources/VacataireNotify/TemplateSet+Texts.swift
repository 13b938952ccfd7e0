import Foundation
import Mustache

extension TemplateSet {
    /// Loads `template` with `partials` (name → text) the way the files are loaded, and
    /// renders it for `event`: the rendered text, or every load error. For the template
    /// fuzz target (Tests/Fuzz/FuzzTemplates), which has no files.
    public static func loadAndRender(
        template: String, partials: [String: String], event: NotifiableEvent
    ) -> Result<String, TemplateSetErrors> {
        var errors: [LoadError] = []
        var library = MustacheLibrary()
        var outlines: [String: PartialGraph.Node] = [:]
        for (name, text) in partials.sorted(by: { $0.key < $1.key }) {
            switch PartialTemplate.compile(text, file: "\(name).partial.mustache") {
            case .success(let (compiled, outline)):
                library.register(compiled, named: name)
                outlines[name] = PartialGraph.Node(path: "\(name).partial.mustache", outline: outline)
            case .failure(let error):
                errors.append(error)
            }
        }
        var main: (ChunkedTemplate, PartialGraph.Node)?
        switch ChunkedTemplate.compile(template, file: "template.mustache") {
        case .success(let (compiled, outline)):
            main = (compiled, PartialGraph.Node(path: "template.mustache", outline: outline))
        case .failure(let error):
            errors.append(error)
        }
        var graph = PartialGraph(partials: outlines)
        errors += graph.problems(templates: main.map { [$0.1] } ?? [])
        guard errors.isEmpty, let (compiled, _) = main else { return .failure(TemplateSetErrors(errors: errors)) }
        return .success(compiled.render(event.templateContext, library: library))
    }
}
