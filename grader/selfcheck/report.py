"""What ``grader.check`` returns: the self-check's result, shown as a table in Jupyter and as the terminal
table elsewhere (never a dump of the dataclass)."""

from __future__ import annotations

from dataclasses import dataclass, field

import jinja2

from ..text import printable
from ..results import SubmissionResult

MARKS = {"passed": ("PASS", "#1a7f37"), "failed": ("FAIL", "#cf222e"), "error": ("ERROR", "#9a6700")}
HIDDEN_NOTE = "Hidden checks run only when your instructor grades: they use other inputs."

# autoescape: every message, hint and name is the submission's or derived from it
_TEMPLATE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string("""\
<div class="nn-grader-check">
<p><strong>{{ assignment }}</strong> · {{ path }} · <strong>{{ points }}</strong> · {{ passed }}/{{ total }} public \
checks passed{% if seconds %} · {{ seconds }}{% endif %}</p>
{% if identified %}<p><em>{{ identified }}</em></p>{% endif %}
<table>
<thead><tr><th style="text-align:left">check</th><th style="text-align:left">result</th>\
<th style="text-align:right">points</th><th style="text-align:left">message</th></tr></thead>
<tbody>
{% for test in tests %}
<tr><td style="text-align:left"><code>{{ test.name }}</code></td>\
<td style="text-align:left;color:{{ test.color }};font-weight:bold">{{ test.mark }}</td>\
<td style="text-align:right">{{ test.points }}</td>\
<td style="text-align:left">{{ test.message }}\
{% if test.hint %}<br><small>hint: {{ test.hint }}</small>{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
{% for cell in cells %}
<p><strong>{{ cell.label }}</strong>: {{ cell.status }}{% if cell.error %} — {{ cell.error }}{% endif %}\
{% if cell.hint %}<br><small>hint: {{ cell.hint }}</small>{% endif %}</p>
{% endfor %}
<p>{{ status }}</p>
{% for error in harness_errors %}<p style="color:#cf222e">grader: {{ error }}</p>{% endfor %}
<p><small>{{ hidden_note }}</small></p>
</div>
""")


@dataclass(repr=False)
class CheckReport:
    """A self-check's result (``result``) and the grader's own troubles (``harness_errors``: no score then)."""

    result: SubmissionResult
    harness_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float | None:
        return self.result.score

    @property
    def max_score(self) -> float:
        return self.result.max_score

    @property
    def passed(self) -> bool:
        """Every check passed, and the grader had no trouble of its own."""
        return (self.result.status == "graded" and not self.harness_errors and bool(self.result.tests)
                and all(t.status == "passed" for t in self.result.tests))

    def __str__(self) -> str:
        from ..writers import terminal

        lines = [printable(self.result.identified)] if self.result.identified else []
        lines.append(terminal.check_table(self.result))
        lines += [f"grader: {printable(error)}" for error in self.harness_errors]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's terminal shell
        printer.text(str(self))

    def _repr_html_(self) -> str:
        sub = self.result
        passed = sum(t.status == "passed" for t in sub.tests)
        tests = [{"name": printable(t.name), "mark": MARKS[t.status][0], "color": MARKS[t.status][1],
                  "points": f"{t.score:g}/{t.max_score:g}", "message": printable(t.message),
                  "hint": printable(t.hint)} for t in sub.tests]
        cells = [{"label": printable(c.label), "status": printable(c.status),
                  "error": printable(f"{c.error_type}: {c.message}".strip(" :")), "hint": printable(c.hint)}
                 for c in sub.cells if c.status != "ok"]
        return _TEMPLATE.render(
            assignment=printable(sub.assignment), path=printable(sub.path),
            points="not graded" if sub.score is None else f"{sub.score:g}/{sub.max_score:g} points",
            passed=passed, total=len(sub.tests), seconds=f"{self.seconds:.2f} s" if self.seconds else "",
            identified=printable(sub.identified), tests=tests, cells=cells,
            status=printable(f"{sub.status}; {sub.message}"),
            harness_errors=[printable(e) for e in self.harness_errors], hidden_note=HIDDEN_NOTE)
