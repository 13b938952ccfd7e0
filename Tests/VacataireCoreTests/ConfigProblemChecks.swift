import XCTest
@testable import VacataireCore

/// What a configuration test asks of a text its `parse` reads: the problems it has, and
/// that one of them names a key and says something.
protocol ConfigProblemChecks {
    func parse(_ text: String) throws(ConfigErrors) -> Config
}

extension ConfigProblemChecks {
    func problems(_ text: String) -> [ConfigProblem] {
        do {
            _ = try parse(text)
            return []
        } catch {
            return error.problems
        }
    }

    func assertProblem(_ text: String, key: String, contains fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let found = problems(text)
        XCTAssertTrue(found.contains { $0.key == key && $0.message.contains(fragment) },
                      "expected `\(key)`: …\(fragment)…; got:\n\(found.map(\.description).joined(separator: "\n"))", file: file, line: line)
    }
}
