import Foundation
import VacataireTestSupport
import XCTest

/// A templates directory another local user could write to, and template files that lead
/// elsewhere: the agent runs as root and mails what it renders, so each is refused by
/// `check-config` as `run` refuses it, naming the file and what to do.
final class TemplateDirectoryTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("template-dir")
    }

    override func tearDown() {
        directory.remove()
    }

    private func checkConfig(templates: String) throws -> CommandResult {
        let config = try directory.write("node.yaml", "node: {name: alpha, cluster: web}\nstate_dir: state\ntemplates_dir: \(templates)\n")
        return try Repository.runVacataire(["check-config", config])
    }

    func testAWorldWritableTemplatesDirectoryIsRefused() throws {
        let templates = directory.file("templates")
        try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: false)
        chmod(templates, 0o1777)
        let result = try checkConfig(templates: templates)
        XCTAssertEqual(result.status, 1, result.stdout)
        XCTAssertTrue(result.stderr.contains("templates_dir: \(templates) has mode 1777: users other than its owner may plant files in it; run `chmod go-w \(templates)`"), result.stderr)
        chmod(templates, 0o755)
        XCTAssertEqual(try checkConfig(templates: templates).status, 0)
    }

    /// A template that is a link to a secret, inside the directory or as a partial: refused,
    /// and the secret's content appears nowhere.
    func testATemplateThatIsASymbolicLinkIsRefused() throws {
        let secret = try directory.write("secret.txt", "root:$6$do-not-mail-me")
        let templates = directory.file("templates")
        try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: false)
        for name in ["failover.body.mustache", "details.partial.mustache"] {
            try FileManager.default.createSymbolicLink(atPath: "\(templates)/\(name)", withDestinationPath: secret)
            let result = try checkConfig(templates: templates)
            XCTAssertEqual(result.status, 1, result.stdout)
            XCTAssertTrue(result.stderr.contains("\(templates)/\(name): a symbolic link; a template must be a file of its own"), result.stderr)
            XCTAssertFalse((result.stdout + result.stderr).contains("do-not-mail-me"))
            try FileManager.default.removeItem(atPath: "\(templates)/\(name)")
        }
    }

    func testATemplateOthersMayWriteIsRefused() throws {
        let templates = directory.file("templates")
        try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: false)
        let template = "\(templates)/failover.subject.mustache"
        try Data("FAILOVER {{node}}\n".utf8).write(to: URL(fileURLWithPath: template))
        chmod(template, 0o666)
        let result = try checkConfig(templates: templates)
        XCTAssertEqual(result.status, 1, result.stdout)
        XCTAssertTrue(result.stderr.contains("\(template): writable by users other than its owner (mode 0666)"), result.stderr)
    }
}
