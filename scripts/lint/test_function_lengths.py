"""Tests of function_lengths.py on small Swift sources it writes."""
import pathlib
import tempfile
import unittest

import function_lengths


def body(lines):
    return "".join(f"        let value{i} = {i}\n" for i in range(lines))


class FunctionLengthTests(unittest.TestCase):
    def lengths(self, source, limit=10):
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / "Sample.swift"
            path.write_text(source)
            return function_lengths.long_functions(path, limit)

    def test_a_long_function_is_found_with_its_line_and_length(self):
        source = "struct A {\n    private func long(x: Int) -> Int {\n" + body(12) + "        return 1\n    }\n}\n"
        self.assertEqual(self.lengths(source), [(15, 2, "func long")])

    def test_a_short_function_and_an_init_at_the_limit_pass(self):
        source = "final class A {\n    init() {\n" + body(8) + "    }\n    func f() { }\n}\n"
        self.assertEqual(self.lengths(source), [])

    def test_braces_in_strings_and_comments_do_not_end_or_extend_a_function(self):
        source = ("func f() {\n    let s = \"}}}\"\n    // }\n    /* { */\n" + body(10) + "}\n")
        self.assertEqual(self.lengths(source), [(15, 1, "func f")])

    def test_protocol_requirements_without_bodies_are_skipped(self):
        source = "protocol P {\n    func a()\n    func b()\n}\n" + "func g() {\n" + body(3) + "}\n"
        self.assertEqual(self.lengths(source, limit=3), [(5, 5, "func g")])

    def test_a_long_mutating_init_with_attributes_is_found(self):
        source = "struct S {\n    @inlinable public mutating func m() {\n" + body(10) + "    }\n}\n"
        self.assertEqual(self.lengths(source), [(12, 2, "func m")])


if __name__ == "__main__":
    unittest.main()
