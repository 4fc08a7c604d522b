"""Readable terminal output: the self-check table and the batch's progress lines."""

from __future__ import annotations

import shutil
import sys
import textwrap
import threading
import time

from ..text import printable
from ..results import GradingRun, SubmissionResult

MARKS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}


def check_table(sub: SubmissionResult) -> str:
    width = max(60, min(shutil.get_terminal_size((100, 20)).columns, 120))
    name_w = max([len(t.name) for t in sub.tests] + [5])
    text_w = width - name_w - 18
    lines = [f"{sub.assignment}: {sub.path}", ""]
    for test in sub.tests:
        head = f"{MARKS[test.status]:<5} {test.name:<{name_w}} {test.score:>4g}/{test.max_score:<4g} "
        body = textwrap.wrap(test.message, text_w) or [""]
        if test.hint:
            body += textwrap.wrap("hint: " + test.hint, text_w)
        lines.append(head + body[0])
        lines += [" " * len(head) + more for more in body[1:]]
    for cell in sub.cells:
        if cell.status != "ok":
            lines.append(f"\n{cell.label}: {cell.status} — {cell.error_type}: {cell.message}".rstrip(" :—"))
            if cell.hint:
                lines += textwrap.wrap("hint: " + cell.hint, width, initial_indent="  ", subsequent_indent="  ")
    passed = sum(t.status == "passed" for t in sub.tests)
    points = "not graded" if sub.score is None else f"{sub.score:g}/{sub.max_score:g} points"
    lines.append(f"\n{passed}/{len(sub.tests)} public checks passed, {points} "
                 f"({sub.status}; {sub.message})")
    lines.append("Hidden checks run only when your instructor grades: they use other inputs.")
    return printable("\n".join(lines))


class Progress:
    """Submissions done/total, ETA and failures so far: one redrawn bar on a terminal, plain lines otherwise."""

    def __init__(self, total: int, stream=None):
        self.total, self.stream = total, stream or sys.stderr
        self.done = self.failures = 0
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, sub: SubmissionResult) -> None:
        with self.lock:
            self.done += 1
            self.failures += sub.status != "graded" or (sub.score or 0) < sub.max_score
            elapsed = time.monotonic() - self.started
            eta = elapsed / self.done * (self.total - self.done)
            points = "not graded" if sub.score is None else f"{sub.score:g}/{sub.max_score:g}"
            last = (f"{sub.student}/{sub.assignment} {sub.status} {points}"
                    + (" (cached)" if sub.cached else f" ({sub.duration_s:.1f} s)"))
            status = f"{self.done}/{self.total} · ETA {_duration(eta)} · {self.failures} not full marks"
            if self.tty:
                width = shutil.get_terminal_size((100, 20)).columns
                filled = int(20 * self.done / max(1, self.total))
                line = f"[{'#' * filled}{'.' * (20 - filled)}] {status} · {last}"
                self.stream.write("\r" + printable(line)[: width - 1].ljust(width - 1))
                if self.done == self.total:
                    self.stream.write("\n")
            else:
                self.stream.write(printable(f"[{status}] {last}") + "\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def summary(run: GradingRun, out: str) -> str:
    counts = {s: sum(sub.status == s for sub in run.submissions)
              for s in ("graded", "timeout", "crashed", "error", "ungraded")}
    parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    state = "" if run.complete else " — INCOMPLETE (stopped early)"
    return f"{len(run.submissions)} submissions ({parts}){state}; reports in {out}/index.html"


def changes_table(changes) -> str:
    """What a regrade changed: one line per student and assignment whose score moved, its checks below."""
    totals = [c for c in changes if c.check is None]
    lines = [f"\nScores changed for {len(totals)} submission(s) since the last grading:"]
    width = max([len(f"{c.student}/{c.assignment}") for c in totals] + [10])
    for total in totals:
        lines.append(f"  {total.student + '/' + total.assignment:<{width}}  {_points(total.before):>6} → "
                     f"{_points(total.after):<6} {_delta(total.delta):>7}   ({total.why})")
        for c in changes:
            if c.check is not None and (c.student, c.assignment) == (total.student, total.assignment):
                lines.append(f"  {'':<{width}}    {c.check}: {_points(c.before)} → {_points(c.after)} "
                             f"({_delta(c.delta)})")
    return "\n".join(lines)


def _points(value) -> str:
    return "—" if value is None else f"{value:g}"


def _delta(value) -> str:
    return "" if value is None else f"{value:+g}"
