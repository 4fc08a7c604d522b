"""Two pages per submission: the instructor's (everything) and the student's, safe to hand back — their
notebook as the grader ran it, public checks in full, hidden checks as name, points and result only."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from conftest import EXAMPLES, SEED
from grader import assignments, pipeline
from grader.cli import main
from grader.results import seed_id
from grader.writers.files import ReportNames

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root, out = tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("out")
    for student in ("ada", "ben", "cy"):
        (root / student).mkdir()
        shutil.copyfile(EXAMPLES / student / "xor.ipynb", root / student / "xor.ipynb")
    assert main(["grade", str(root), "--out", str(out), "--seed", str(SEED)]) == 0
    return root, out


def numbers(value) -> set[str]:
    """How the numbers of ``value`` could appear in a page: 4 and 6 significant digits, 3 and 4 decimals."""
    found: set[str] = set()
    if isinstance(value, dict):
        for v in value.values():
            found |= numbers(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            found |= numbers(v)
    elif isinstance(value, (np.ndarray, float, np.floating)) and np.asarray(value).dtype.kind == "f":
        for v in np.asarray(value, np.float64).ravel()[:2000]:
            if abs(v) > 1e-3 and not float(v).is_integer():
                found |= {f"{v:.4g}", f"{v:.6g}", f"{v:.3f}", f"{v:.4f}"}
    return {n for n in found if len(n.lstrip("-")) >= 5}  # short ones ("0.25") are everywhere


def test_student_pages_hold_no_hidden_value_input_or_hint(graded):
    _, out = graded
    loaded = assignments.load("xor")
    plan = pipeline.Plan(loaded, list(loaded.rubric.checks), SEED)
    reference = plan.reference()
    hidden = [c for c in loaded.rubric.checks if c.hidden]
    public_text = {text for c in loaded.rubric.checks if not c.hidden for text in (c.description, c.hint)}
    secrets = set()
    for check in hidden:
        secrets |= numbers(plan.inputs[check.probe]) | numbers(reference.observations[check.probe].value)
    for student in ("ada", "ben", "cy"):
        page = (out / ReportNames([student]).feedback(student, "xor")).read_text()
        text = re.sub(r"<[^>]+>", " ", page)
        leaked = sorted(s for s in secrets if re.search(rf"(?<![\d.]){re.escape(s)}(?!\d)", text))
        assert leaked == [], (student, leaked[:10])
        assert f"seed {SEED}" not in text  # with the run's seed and a kit's rubric the hidden inputs could be redrawn
        for check in hidden:
            assert check.name in text  # named, with its points and result
            for own in (check.description, check.hint):  # what only the hidden check says
                assert not own or own in public_text or own not in text, (student, check.name, own)


def test_the_student_page_shows_the_notebook_with_feedback_next_to_its_cells(graded):
    _, out = graded
    page = (out / ReportNames(["ben"]).feedback("ben", "xor")).read_text()
    assert "Your notebook, as the grader ran it" in page and "run_network" in page and "GradientTape" in page
    assert "The grader's budget" in page and f"ITERATIONS = {assignments.load('xor').rubric.parameters['ITERATIONS']}" in page.replace("&#39;", "'")
    assert 'class="feedback' in page  # a check's feedback placed below the cell it concerns
    instructor = (out / ReportNames(["ben"]).page("ben", "xor")).read_text()
    hidden = next(c for c in assignments.load("xor").rubric.checks if c.hidden)
    # the instructor sees everything but the seed itself (a term-long secret kept in the gradebook): its id
    assert hidden.description in instructor and f"seed id {seed_id(SEED)}" in instructor


def test_a_students_markdown_cannot_run_script_on_either_page(tmp_path):
    import nbformat

    root, out = tmp_path / "class", tmp_path / "out"
    (root / "eve").mkdir(parents=True)
    notebook = nbformat.read(EXAMPLES / "ada" / "gradient_descent.ipynb", as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell(
        "# Hi\n<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
        "<a href=\"javascript:alert(1)\">click</a>"))
    nbformat.write(notebook, root / "eve" / "gradient_descent.ipynb")
    assert main(["grade", str(root), "--out", str(out), "--seed", str(SEED)]) == 0
    page = (out / ReportNames(["eve"]).feedback("eve", "gradient_descent")).read_text()
    assert "<script>document" not in page and "onerror" not in page and "javascript:" not in page
    assert "<h1>Hi</h1>" in page  # ordinary markdown still renders


@pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (CI installs it)")
def test_both_pages_render_in_a_browser(graded, tmp_path):
    from test_cli_and_reports import browse

    _, out = graded
    for kind, page in (("student", ReportNames(["ben"]).feedback("ben", "xor")),
                       ("instructor", ReportNames(["ben"]).page("ben", "xor"))):
        dom = browse(out / page, tmp_path, "--dump-dom")
        assert "forward_pass" in dom
        shot = tmp_path / f"{kind}.png"
        browse(out / page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2400")
        assert shot.stat().st_size > 50_000


def test_a_hidden_check_shows_its_message_only_when_the_rubric_allows_it_and_never_its_hint():
    from grader.results import TestResult
    from grader.writers.visibility import public_view

    def hidden(**options):
        return TestResult("h", 0.0, 2.0, "failed", "hidden", "off for x = 0.1234", description="on x = 0.1234",
                          hint="expected 0.5678", **options)

    default = public_view(hidden())  # a result that does not say otherwise is private: fail closed
    assert default["message"] == default["hint"] == default["description"] == "" and default["status"] == "failed"
    allowed = public_view(hidden(private=False))  # Rubric.hidden_feedback = "message"
    assert allowed["message"] == "off for x = 0.1234" and allowed["hint"] == allowed["description"] == ""
    public = public_view(TestResult("p", 0.0, 2.0, "failed", "public", "m", description="d", hint="h"))
    assert (public["message"], public["description"], public["hint"]) == ("m", "d", "h")
