import Foundation
import VacataireTestSupport
import XCTest

/// `make deb`'s package, end to end on this machine: lintian finds no error, dpkg installs
/// it, the installed agent, manual page and completion work, a newcomer's pair made with
/// it pages and fails over (NewcomerPair), and a purge leaves nothing.
///
/// `make test` builds the package once before the tests and names it in `$VACATAIRE_DEB`;
/// run alone, the test builds it with Config/debian/build-deb.sh in .build-deb (a release
/// build of its own, since `swift test` holds .build: many minutes on two cores).
final class DebianPackageTests: XCTestCase {
    func testThePackageInstallsWorksAndPurgesClean() throws {
        guard getuid() == 0 else {
            throw FixtureError("the package test installs a package with dpkg: run it as root (make test does)")
        }
        try DebianTool.dpkgDeb.require(for: "the package test")
        try DebianTool.lintian.require(for: "the package test")
        try DebianTool.man.require(for: "the package test")
        try DebianTool.bashCompletion.require(for: "the package test")
        try DebianTool.systemdAnalyze.require(for: "the package test")
        let deb = try Self.package()

        // lintian: no error (warnings and notes are printed, not fatal).
        let lint = try Repository.run(DebianTool.lintian.path, ["--fail-on", "error", "--no-tag-display-limit", deb])
        XCTAssertEqual(lint.status, 0, "lintian found errors:\n\(lint.stdout)\(lint.stderr)")
        print("lintian on \(deb):\n\(lint.stdout)")

        let contents = try DebianTool.dpkgDeb.run(["--contents", deb], for: "listing the package").stdout
        let files = contents.split(separator: "\n").compactMap { line -> String? in
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last, !line.hasPrefix("d") else { return nil }
            return String(path.dropFirst())  // "./usr/bin/vacataire" -> "/usr/bin/vacataire"
        }
        for expected in ["/usr/bin/vacataire", "/lib/systemd/system/vacataire.service", "/etc/vacataire/vacataire.yaml",
                         "/lib/systemd/system/vacataire-drill.service", "/lib/systemd/system/vacataire-drill.timer",
                         "/usr/share/snmp/mibs/LE-VACATAIRE-MIB.txt", "/usr/share/man/man1/vacataire.1.gz",
                         "/usr/share/man/man1/vacataire-init.1.gz", "/usr/share/bash-completion/completions/vacataire",
                         "/usr/share/zsh/vendor-completions/_vacataire", "/usr/share/fish/vendor_completions.d/vacataire.fish",
                         "/usr/share/doc/vacataire/copyright", "/usr/share/doc/vacataire/changelog.Debian.gz",
                         "/usr/share/doc/vacataire/examples/pair/master.yaml", "/usr/share/doc/vacataire/examples/pair/service.sh"] {
            XCTAssertTrue(files.contains(expected), "\(expected) is not in the package:\n\(contents)")
        }

        _ = try? Repository.run(DebianTool.dpkg.path, ["--purge", "vacataire"])  // a leftover of an interrupted run
        let install = try Repository.run(DebianTool.dpkg.path, ["--install", deb])
        XCTAssertEqual(install.status, 0, "dpkg --install:\n\(install.stdout)\(install.stderr)")
        defer { _ = try? Repository.run(DebianTool.dpkg.path, ["--purge", "vacataire"]) }
        XCTAssertTrue(install.stdout.contains("vacataire: not started"), "the first install says what to do:\n\(install.stdout)")

        let conffiles = try Repository.run("/usr/bin/dpkg-query", ["--showformat=${Conffiles}", "--show", "vacataire"])
        XCTAssertTrue(conffiles.stdout.contains("/etc/vacataire/vacataire.yaml"), conffiles.stdout)
        XCTAssertEqual(try Repository.run("/usr/bin/getent", ["group", "vacataire"]).status, 0, "no vacataire group")

        // The installed configuration lacks only its peer key, and says how to make it.
        let check = try Repository.run("/usr/bin/vacataire", ["check-config", "/etc/vacataire/vacataire.yaml"])
        XCTAssertEqual(check.status, 1, check.stdout)
        let problems = check.stderr.split(separator: "\n").filter { !$0.contains("problem(s); vacataire refuses") }
        XCTAssertEqual(problems.count, 1, check.stderr)
        XCTAssertTrue(check.stderr.contains("cannot read the key file /etc/vacataire/peer.key: it does not exist; make it with `openssl rand -hex 32"),
                      check.stderr)
        let version = try Repository.run("/usr/bin/vacataire", ["--version"])
        XCTAssertEqual(version.status, 0, version.stderr)

        let manual = try Repository.run(DebianTool.man.path, ["-w", "vacataire"])
        XCTAssertEqual(manual.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "/usr/share/man/man1/vacataire.1.gz", manual.stderr)
        let rendered = try Repository.run("/bin/sh", ["-c", "MANWIDTH=80 man vacataire-init 2>&1 | col -b"])
        XCTAssertTrue(rendered.stdout.contains("--check-url"), "vacataire-init(1) lacks its flags:\n\(rendered.stdout)")

        // systemd accepts the unit as installed (its binary and manual page exist now).
        let unit = try Repository.run(DebianTool.systemdAnalyze.path, [
            "verify", "/lib/systemd/system/vacataire.service", "/lib/systemd/system/vacataire-drill.service", "/lib/systemd/system/vacataire-drill.timer",
        ])
        XCTAssertEqual(unit.status, 0, "systemd-analyze verify:\n\(unit.stdout)\(unit.stderr)")

        // The bash completion loads and completes subcommands.
        let completion = try Repository.run(DebianTool.bash.path, ["-c", """
            source /usr/share/bash-completion/bash_completion
            source /usr/share/bash-completion/completions/vacataire
            complete -p vacataire
            COMP_WORDS=(vacataire ch); COMP_CWORD=1; COMP_LINE="vacataire ch"; COMP_POINT=${#COMP_LINE}
            $(complete -p vacataire | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p') vacataire ch vacataire
            printf '%s\\n' "${COMPREPLY[@]}"
            """])
        XCTAssertEqual(completion.status, 0, completion.stderr)
        XCTAssertTrue(completion.stdout.contains("check-config"), "no completion of `vacataire ch`:\n\(completion.stdout)\(completion.stderr)")

        // Its key made, the shipped example is still refused by --strict (the unit's check),
        // each example value named by its key.
        try Data("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n".utf8).write(to: URL(fileURLWithPath: "/etc/vacataire/peer.key"))
        chmod("/etc/vacataire/peer.key", 0o600)
        let strict = try Repository.run("/usr/bin/vacataire", ["check-config", "--strict", "/etc/vacataire/vacataire.yaml"])
        XCTAssertEqual(strict.status, 1, strict.stdout + strict.stderr)
        for key in ["notify.email[0].url", "notify.email[0].from", "notify.email[0].to[0]", "notify.snmp[0].address",
                    "failover.peer.addresses[0]", "failover.service_probe", "failover.witness"] {
            XCTAssertTrue(strict.stderr.contains("warning: \(key): `"), "\(key) is not named:\n\(strict.stderr)")
        }

        try checkANewcomersFirstHour()

        // What the agent makes at run time goes at purge too, and what its setup made: the
        // peer key (a secret), and the unit's enablement by hand.
        try FileManager.default.createDirectory(atPath: "/var/lib/vacataire/snmp", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: "/var/lib/vacataire/vacataire.sqlite"))
        let wants = "/etc/systemd/system/multi-user.target.wants"
        try FileManager.default.createDirectory(atPath: wants, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: "\(wants)/vacataire.service")
        try FileManager.default.createSymbolicLink(atPath: "\(wants)/vacataire.service", withDestinationPath: "/lib/systemd/system/vacataire.service")

        let purge = try Repository.run(DebianTool.dpkg.path, ["--purge", "vacataire"])
        XCTAssertEqual(purge.status, 0, "dpkg --purge:\n\(purge.stdout)\(purge.stderr)")
        let left = (files + ["/etc/vacataire", "/var/lib/vacataire", "/usr/share/doc/vacataire", "/run/vacataire"])
            .filter { FileManager.default.fileExists(atPath: $0) }
            + [wants + "/vacataire.service"].filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: $0)) != nil }
        XCTAssertEqual(left, [], "left behind after purge")
        XCTAssertNotEqual(try Repository.run("/usr/bin/getent", ["group", "vacataire"]).status, 0, "the vacataire group outlived the purge")
    }

    /// `$VACATAIRE_DEB`, or the package built by Config/debian/build-deb.sh in .build-deb.
    static func package() throws -> String {
        if let given = ProcessInfo.processInfo.environment["VACATAIRE_DEB"], !given.isEmpty {
            guard FileManager.default.fileExists(atPath: given) else { throw FixtureError("VACATAIRE_DEB=\(given): no such file") }
            return given
        }
        let output = Repository.path(".build-deb/out")
        let started = Date()
        let build = try Repository.run("/bin/bash", [Repository.path("Config/debian/build-deb.sh"), output],
                                       environment: ["VACATAIRE_SCRATCH": Repository.path(".build-deb")])
        guard build.status == 0 else {
            throw FixtureError("Config/debian/build-deb.sh failed:\n\(build.stdout.suffix(4000))\(build.stderr.suffix(4000))")
        }
        print("built the package in \(Int(Date().timeIntervalSince(started))) s")
        let debs = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasSuffix(".deb") }.sorted()
        guard let deb = debs.last else { throw FixtureError("build-deb.sh wrote no .deb into \(output)") }
        return "\(output)/\(deb)"
    }
}
