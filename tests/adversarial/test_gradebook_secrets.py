"""The course seed lives in the gradebook, in the course folder: a submission that knows exactly where
cannot read it (the sandbox shows only the system, Python and the sandbox runtime), and the seed reaches no
page a student reads."""

from __future__ import annotations

import json

from grader.cli import main
from grader.gradebook.store import Gradebook
from grader.sandbox import isolation
from attacks import ROOT

STEAL = '''
# %%
import glob, os
target = {path!r}
try:
    print("STOLEN", open(target, "rb").read()[:4000])
except OSError as exc:
    print("REFUSED", type(exc).__name__)
print("FOUND", os.path.exists(os.path.dirname(target)), glob.glob("/*/gradebook.sqlite*"))
print("COURSE", os.path.exists({course!r}))
'''


def test_a_submission_cannot_read_the_course_seed(tmp_path, monkeypatch):
    book_path = tmp_path / "course-gradebook.sqlite"
    monkeypatch.setenv("GRADER_GRADEBOOK", str(book_path))
    seed, _ = Gradebook(book_path).course_seed(lambda: 2**127 + 424242)
    root = tmp_path / "class"
    (root / "mallory").mkdir(parents=True)
    (root / "mallory" / "gradient_descent.py").write_text(
        (ROOT / "reference" / "gradient_descent.py").read_text()
        + STEAL.format(path=str(book_path), course=str(ROOT / "assignments")))
    out = tmp_path / "out"
    assert main(["grade", str(root), "--out", str(out)]) == 0
    result = json.loads((out / "results.json").read_text())["submissions"][0]
    output = "\n".join(c["output"] for c in result["cells"])
    assert result["protections"]["filesystem_isolated"] == (isolation.available_method() == "bubblewrap")
    if result["protections"]["filesystem_isolated"]:
        assert "REFUSED FileNotFoundError" in output and "FOUND False []" in output and "COURSE False" in output
    assert "STOLEN" not in output and str(seed) not in output
    for page in (out / "feedback").rglob("*.html"):
        assert str(seed) not in page.read_text()
    for page in (out / "gradescope").rglob("*.json"):
        assert str(seed) not in page.read_text()
