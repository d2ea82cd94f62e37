#!/usr/bin/env python3
"""The Swift functions longer than a limit, so that each part reads in one screen.

    python3 scripts/lint/function_lengths.py [--limit 60] DIR...

Counts each `func`, `init`, `deinit` and `subscript` from its declaration line to its closing
brace (comments and string literals do not count as braces). Prints one line per function over
the limit and exits 1 when there is any; scripts/test.sh holds Sources/Training and Sources/Elastic
to it (docs/testing.md).
"""
import argparse
import pathlib
import re
import sys

DECLARATION = re.compile(
    r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|private|fileprivate|internal|package|open|static|class|final|override|mutating|"
    r"nonmutating|nonisolated|convenience|required|dynamic|(?:private|fileprivate|internal|public)\(set\))\s+)*"
    r"(func\s+[^\s(<]+|init[?!]?|deinit|subscript)\b")
STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def code_of(line, in_block_comment):
    """The line without comments and string contents; whether a block comment continues."""
    out = []
    i = 0
    line = STRING.sub('""', line)
    while i < len(line):
        if in_block_comment:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), True
            i, in_block_comment = end + 2, False
        elif line.startswith("//", i):
            break
        elif line.startswith("/*", i):
            in_block_comment, i = True, i + 2
        else:
            out.append(line[i])
            i += 1
    return "".join(out), in_block_comment


def long_functions(path, limit):
    """(lines, first line number, name) of each function in `path` longer than `limit` lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    codes, in_comment = [], False
    for line in lines:
        code, in_comment = code_of(line, in_comment)
        codes.append(code)
    found = []
    for start, code in enumerate(codes):
        match = DECLARATION.match(code)
        if not match or "protocol" in code:
            continue
        depth, opened, end = 0, False, None
        for number in range(start, len(codes)):
            for char in codes[number]:
                if char == "{":
                    depth, opened = depth + 1, True
                elif char == "}":
                    depth -= 1
            # A requirement without a body (a protocol's) ends at its line.
            if not opened and number > start and DECLARATION.match(codes[number]):
                break
            if opened and depth <= 0:
                end = number
                break
        if end is not None and end - start + 1 > limit:
            found.append((end - start + 1, start + 1, match.group(1)))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("folders", nargs="+")
    arguments = parser.parse_args()
    over = []
    for folder in arguments.folders:
        for path in sorted(pathlib.Path(folder).rglob("*.swift")):
            over += [(path, *entry) for entry in long_functions(path, arguments.limit)]
    for path, count, line, name in over:
        print(f"{path}:{line}: {name} is {count} lines (limit {arguments.limit}): split it where the data flows")
    if not over:
        print(f"function lengths: none over {arguments.limit} lines in {', '.join(arguments.folders)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
