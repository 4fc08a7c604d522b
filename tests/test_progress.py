"""The progress display: a redrawn bar on a terminal, plain lines otherwise."""

import io

from grader.results import SubmissionResult
from grader.writers.terminal import Progress


def result(student, score, status="graded"):
    return SubmissionResult(student, "xor", f"{student}/xor.ipynb", status, score, 22.0, 1.5, "")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(3, stream)
    for sub in (result("ada", 22.0), result("ben", 13.0), result("cy", 0.0, "timeout")):
        progress(sub)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in stream.getvalue()
    assert lines[0].startswith("[1/3 · ETA") and "0 not full marks" in lines[0]
    assert "2 not full marks" in lines[2] and "cy/xor timeout 0/22" in lines[2]


def test_one_redrawn_bar_on_a_terminal():
    stream = Terminal()
    progress = Progress(2, stream)
    progress(result("ada", 22.0))
    progress(result("ben", 13.0))
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "[####################] 2/2" in text
