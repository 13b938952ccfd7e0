import VacataireChecks
import XCTest

final class PluginOutputTests: XCTestCase {
    func testFirstLineAndPerfdata() {
        let output = PluginOutput.parse("TCP OK - 0.001 second response time on 127.0.0.1 port 80|time=0.000512s;;;0.000000;10.000000\n")
        XCTAssertEqual(output.message, "TCP OK - 0.001 second response time on 127.0.0.1 port 80")
        XCTAssertEqual(output.perfdata, [Perfdata(label: "time", value: 0.000512, unit: "s", minimum: 0, maximum: 10)])
        XCTAssertEqual(output.details, "")
        XCTAssertEqual(output.perfdata.first?.description, "time=0.000512s;;;0;10")
    }

    func testLongTextAndPerfdataOnSeveralLines() {
        let output = PluginOutput.parse("""
            DISK WARNING - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968
            / 15272 MB (77%);
            /boot 68 MB (69%); | /boot=68MB;88;93;0;98
            /home=69357MB;253404;253409;0;253414
            """)
        XCTAssertEqual(output.message, "DISK WARNING - free space: / 3326 MB (56%);")
        XCTAssertEqual(output.details, "/ 15272 MB (77%);\n/boot 68 MB (69%); ")
        XCTAssertEqual(output.perfdata.map(\.label), ["/", "/boot", "/home"])
        XCTAssertEqual(output.perfdata[0], Perfdata(label: "/", value: 2643, unit: "MB", warning: "5948", critical: "5958", minimum: 0, maximum: 5968))
    }

    /// A plugin written on Windows, or one that prints through a terminal library, ends its
    /// lines with CRLF: the same message, long text and perfdata as with LF.
    func testCRLFLineEndingsSplitAsLF() {
        let lf = "DISK WARNING - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n/ 15272 MB (77%);\n/boot 68 MB (69%); | /boot=68MB;88;93;0;98\n/home=69357MB;253404;253409;0;253414\n"
        let crlf = PluginOutput.parse(lf.replacingOccurrences(of: "\n", with: "\r\n"))
        XCTAssertEqual(crlf, PluginOutput.parse(lf))
        XCTAssertEqual(crlf.perfdata.map(\.label), ["/", "/boot", "/home"])
        XCTAssertEqual(crlf.message, "DISK WARNING - free space: / 3326 MB (56%);")
    }

    func testQuotedLabelsRangesAndJunk() {
        let items = Perfdata.parseAll("'free space'=12%;@5:10;~:3 'it''s'=1c junk =3 rta=0.2ms")
        XCTAssertEqual(items.map(\.label), ["free space", "it's", "rta"])
        XCTAssertEqual(items[0].warning, "@5:10")
        XCTAssertEqual(items[0].critical, "~:3")
        XCTAssertEqual(items[1].unit, "c")
        XCTAssertEqual(items[0].description, "'free space'=12%;@5:10;~:3")
    }

    func testEmptyOutput() {
        XCTAssertEqual(PluginOutput.parse("\n").message, "(no output returned from plugin)")
    }

    func testWorstStatusAndExitCodes() {
        XCTAssertEqual(CheckStatus.worst([.ok, .warning, .unknown]), .unknown)
        XCTAssertEqual(CheckStatus.worst([.unknown, .critical, .ok]), .critical)
        XCTAssertEqual(CheckStatus.worst([]), .ok)
        XCTAssertEqual(CheckStatus(exitCode: 7), .unknown)
        XCTAssertEqual(CheckStatus.allCases.map(\.exitCode), [0, 1, 2, 3])
    }

    func testPluginLine() {
        let result = CheckResult(status: .critical, message: "expected 1234 bytes, got 512", perfdata: [Perfdata(label: "size", value: 512, unit: "B")])
        XCTAssertEqual(result.pluginLine(name: "page"), "page CRITICAL - expected 1234 bytes, got 512 | size=512B")
    }
}
