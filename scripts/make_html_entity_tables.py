#!/usr/bin/env python3
"""Writes Sources/Tokenization/HTMLEntityTables.swift from Python 3.11's html module:
html.entities.html5 (named references), html._invalid_charrefs and html._invalid_codepoints,
so that HTMLUnescaper reproduces html.unescape, which OpenAI's tokenizer applies twice.

Usage (from the package root, with Python 3.11): scripts/make_html_entity_tables.py
"""
import html
import html.entities
import sys

assert sys.version_info[:2] == (3, 11), "the tables are Python 3.11's; run with python3.11"


def literal(s):
    out = []
    for ch in s:
        if 0x20 <= ord(ch) <= 0x7E and ch not in ';"\\':
            out.append(ch)
        else:
            out.append("\\u{%x}" % ord(ch))
    return "".join(out)


named = "\\n".join(literal(name) + "\\t" + literal(value) for name, value in sorted(html.entities.html5.items()))
lines = [
    "// swift-format-ignore-file",
    "// Generated from Python 3.11's html.entities.html5 and html module tables, so that",
    "// html.unescape (which OpenAI's tokenizer applies twice) is reproduced exactly.",
    "// One string literal per table: Swift type-checks it in no time, unlike a dictionary literal.",
    "",
    "enum HTMLEntityTables {",
    "    /// \"name[;]\\tvalue\" lines; names without ';' are the legacy forms HTML5 also accepts.",
    '    static let named = "' + named + '"',
    "",
    "    /// Numeric references that browsers (and Python) remap: Windows-1252 and a few others.",
    "    static let invalidCharrefs: [UInt32: String] = [",
]
refs = sorted(html._invalid_charrefs.items())
lines += ["        0x%x: \"%s\"%s" % (k, literal(v), "," if i < len(refs) - 1 else "") for i, (k, v) in enumerate(refs)]
lines += ["    ]", "", "    /// Code points that a numeric reference turns into nothing.", "    static let invalidCodepoints: Set<UInt32> = ["]
points = sorted(html._invalid_codepoints)
rows = [points[i:i + 10] for i in range(0, len(points), 10)]
lines += ["        " + ", ".join("0x%x" % p for p in row) + ("," if i < len(rows) - 1 else "") for i, row in enumerate(rows)]
lines += ["    ]", "}", ""]
open("Sources/Tokenization/HTMLEntityTables.swift", "w").write("\n".join(lines))
