#!/usr/bin/env python3
"""The closing lines of `make test`: what the parallel XCTest run's xUnit report says.

Usage: test_summary.py REPORT.xml WALL_SECONDS

Prints the slowest tests, then one line: how many tests ran, failed and were skipped, the
sum of their own times and the wall time of the run. Exits 1 when a test failed or none ran.
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
    total = sum(float(c.get("time", "0")) for c in cases)
    print("slowest tests:")
    for case in sorted(cases, key=lambda c: -float(c.get("time", "0")))[:8]:
        print(f"  {float(case.get('time', '0')):6.1f} s  {case.get('classname')}.{case.get('name')}")
    for case in failed:
        print(f"FAILED: {case.get('classname')}.{case.get('name')}")
    print(f"{len(cases)} tests, {len(failed)} failed; "
          f"{total:.0f} s of tests in {wall:.0f} s of wall time")
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
