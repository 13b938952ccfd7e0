#!/usr/bin/env python3
"""The closing lines of `make test`: what the parallel XCTest run's xUnit report says.

Usage: test_summary.py REPORT.xml WALL_SECONDS

Prints the slowest tests, the sum of the tests' own times and the wall time of the run, then
the closing line `N passed, N failed` (`, N skipped` when some were), the form any CI reader
counts. Exits 1 when a test failed or none ran.
"""
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    report, wall = sys.argv[1], float(sys.argv[2])
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError) as error:
        print(f"no test report in {report}: {error}")
        return 1
    cases = root.findall(".//testcase")
    failed = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None and c not in failed]
    passed = len(cases) - len(failed) - len(skipped)
    total = sum(float(c.get("time", "0")) for c in cases)
    print("slowest tests:")
    for case in sorted(cases, key=lambda c: -float(c.get("time", "0")))[:8]:
        print(f"  {float(case.get('time', '0')):6.1f} s  {case.get('classname')}.{case.get('name')}")
    for case in failed:
        print(f"FAILED: {case.get('classname')}.{case.get('name')}")
    print(f"{len(cases)} tests: {total:.0f} s of tests in {wall:.0f} s of wall time")
    closing = f"{passed} passed, {len(failed)} failed"
    print(closing + (f", {len(skipped)} skipped" if skipped else ""))
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
