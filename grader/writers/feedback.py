"""The student's page: safe to hand back. Their notebook as the grader ran it — code, outputs, errors —
rendered with nbconvert, each check's feedback next to the cell it is about, and the budget the grader
injected shown where it changes what the student sees. Public checks in full; a hidden check shows only
its name, points and result (unless the rubric allows its message): no hidden value, input or hint.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path

import bleach
import nbformat
from nbconvert import HTMLExporter
from pygments.formatters import HtmlFormatter

from ..results import GradingRun, SubmissionResult
from . import plots
from .visibility import STUDENT_UNGRADED, public_view
from .files import ReportNames, atomic_write
from .stamp import first_line, page_digest

SYMBOL = {"passed": "✔", "failed": "✘", "error": "✘"}
HIGHLIGHT_CSS = HtmlFormatter(style="default").get_style_defs(".highlight")
# What a student's markdown may render as: text structure, no script, style, image, form or frame (nbconvert's
# own sanitizer escapes headings and paragraphs too, so its filter is replaced by this allowlist)
MARKDOWN_TAGS = ["a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
                 "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table",
                 "tbody", "td", "th", "thead", "tr", "ul"]


def clean_html(text: str) -> str:
    return bleach.clean(text, tags=MARKDOWN_TAGS, attributes={"a": ["href", "title"], "div": ["class"],
                                                              "span": ["class"], "code": ["class"]},
                        protocols=["http", "https", "mailto"], strip=True)


@functools.cache
def exporter() -> HTMLExporter:
    """Made on first use: it looks for nbconvert's templates, which a command that writes no page never needs."""
    made = HTMLExporter(template_name="basic", sanitize_html=True, exclude_anchor_links=True)
    made.register_filter("clean_html", clean_html)
    return made


def feedback_html(tests: list[dict]) -> str:
    rows = []
    for t in tests:
        status = "passed" if t["status"] == "passed" else "failed"
        head = (f"<strong>{SYMBOL.get(t['status'], '•')} {html.escape(t['name'])}</strong> "
                f"<span class=\"points\">{t['score']:g} / {t['max_score']:g}</span>")
        if t["visibility"] == "hidden":
            head += " <span class=\"muted\">(hidden check)</span>"
        body = f"<div>{html.escape(t['message'])}</div>" if t["message"] else ""
        hint = f"<div class=\"hint\">Hint: {html.escape(t['hint'])}</div>" if t["hint"] else ""
        rows.append(f"<div class=\"feedback {status}\">{head}{body}{hint}</div>")
    return "\n".join(rows)


def budget_html(source: str) -> str:
    values = [line for line in source.splitlines() if "=" in line and not line.startswith("#")]
    shown = "".join(f"<code>{html.escape(v)}</code> " for v in values)
    return (f"<div class=\"budget\"><strong>The grader's budget.</strong> Here the grader set {shown}in place of "
            "your values, so that grading does not pay for your full training run: the outputs below come from "
            "this shorter run (a network that is not yet fully trained may look unsolved in them). The checks "
            "train with budgets of their own.</div>")


def outputs_of(report) -> list:
    if report is None:
        return [nbformat.v4.new_output("stream", name="stdout", text="[not run by the grader]\n")]
    outputs = []
    if report.output:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=report.output))
    if report.status != "ok":
        name = report.error_type or report.status.capitalize()
        outputs.append(nbformat.v4.new_output("error", ename=name, evalue=report.message or report.status,
                                              traceback=(report.traceback or f"{name}: {report.message}").splitlines()))
    return outputs


def notebook_of(sub: SubmissionResult, tests: list[dict]) -> nbformat.NotebookNode:
    reports = {c.index: c for c in sub.cells}
    by_cell: dict[int, list[dict]] = {}
    for t in tests:
        if t["cell"] is not None:
            by_cell.setdefault(t["cell"], []).append(t)
    notebook = nbformat.v4.new_notebook()
    for cell in sub.notebook:
        if cell.kind == "markdown":
            notebook.cells.append(nbformat.v4.new_markdown_cell(cell.source))
        elif cell.kind == "raw":
            notebook.cells.append(nbformat.v4.new_raw_cell(cell.source))
        elif cell.kind == "budget":
            notebook.cells.append(nbformat.v4.new_markdown_cell(budget_html(cell.source)))
        else:
            report = reports.get(cell.index)
            notebook.cells.append(nbformat.v4.new_code_cell(cell.source, execution_count=cell.index,
                                                            outputs=outputs_of(report)))
            notes = []
            if report is not None and report.cause:
                notes.append(f"<div class=\"feedback failed\">{html.escape(report.cause)}</div>")
            elif report is not None and report.hint:
                notes.append(f"<div class=\"hint\">Hint: {html.escape(report.hint)}</div>")
            if report is not None and report.magics:
                notes.append("<div class=\"muted\">Not executed by the grader: "
                             + ", ".join(f"<code>{html.escape(m)}</code>" for m in report.magics) + "</div>")
            if cell.index in by_cell:
                notes.append(feedback_html(by_cell[cell.index]))
            if notes:
                notebook.cells.append(nbformat.v4.new_markdown_cell("\n".join(notes)))
    return notebook


def render(run: GradingRun, sub: SubmissionResult, environment, index: str) -> str:
    tests = [public_view(t) for t in sub.tests]
    body, _ = exporter().from_notebook_node(notebook_of(sub, tests))
    shown = {t.name for t in sub.tests if t.visibility != "hidden"}
    images = [(plots.curve_image(c), c.title) for c in sub.curves if c.check in shown]
    return environment.get_template("student.html.j2").render(
        run=run, sub=sub, tests=tests, notebook=body, highlight=HIGHLIGHT_CSS, index=index, images=images,
        ungraded=STUDENT_UNGRADED)


def write(run: GradingRun, out: Path, names: ReportNames, environment) -> dict[int, str]:
    """feedback/<student>/<assignment>.html for each submission; {position: why its page failed}."""
    failures = {}
    for position, sub in enumerate(run.submissions):
        path = out / names.feedback(sub.student, sub.assignment)
        try:
            stamp = f"<!-- nn-grader student page {page_digest(run, sub)} -->\n"
            if first_line(path) != stamp:
                atomic_write(path, stamp + render(run, sub, environment, ""))
        except Exception as exc:  # this page only
            failures[position] = f"its student page could not be written: {type(exc).__name__}: {str(exc)[:200]}"
    return failures
