#!/usr/bin/python3
"""Writes one section of Docs/BENCHMARKS.md and leaves the others as they are.

    bench_section.py PATH SECTION

SECTION is markdown whose first line is its `## ` title: it replaces the section of that
title (up to the next `## `), or is added at the end when the file has none.
"""
import os
import sys

path, section = sys.argv[1], sys.argv[2].rstrip("\n") + "\n"
title = section.splitlines()[0]
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
if title in text:
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    text = text[:start] + section + (text[end:] if end >= 0 else "")
else:
    text = text.rstrip("\n") + "\n\n" + section
with open(path, "w") as handle:
    handle.write(text)
