"""The course seed lives in the gradebook, in the course folder: a submission that knows exactly where
cannot read it (the sandbox shows only the system, Python and the sandbox runtime), and the seed reaches no
page a student reads."""

from __future__ import annotations

import json
import shutil

from grader.cli import main
from grader.gradebook.store import Gradebook
from grader.sandbox import isolation
from attacks import ROOT

STEAL = '''
# %%
import glob, os
target = {path!r}
for name in (target, target + "-wal"):
    try:
        data = open(name, "rb").read()
        print("STOLEN", len(data), data.decode("latin-1"))
    except OSError as exc:
        print("REFUSED", type(exc).__name__)
print("FOUND", os.path.exists(os.path.dirname(target)), glob.glob("/*/gradebook.sqlite*"))
print("COURSE", os.path.exists({course!r}))
'''


def test_a_submission_cannot_read_the_course_seed(tmp_path, monkeypatch):
    # the gradebook where it lives, in the course folder (outside /tmp, which the sandbox replaces anyway)
    course = ROOT / "build" / f"course-{tmp_path.name}"
    shutil.rmtree(course, ignore_errors=True)
    shutil.copytree(ROOT / "assignments" / "gradient_descent", course / "assignments" / "gradient_descent")
    shutil.copytree(ROOT / "reference", course / "reference")
    monkeypatch.delenv("GRADER_GRADEBOOK")
    book_path = course / "gradebook.sqlite"
    try:
        _attack(tmp_path, course, book_path)
    finally:
        shutil.rmtree(course, ignore_errors=True)


def _attack(tmp_path, course, book_path):
    seed, _ = Gradebook(book_path).course_seed(lambda: 2**127 + 424242)
    root = tmp_path / "class"
    (root / "mallory").mkdir(parents=True)
    (root / "mallory" / "gradient_descent.py").write_text(
        (ROOT / "reference" / "gradient_descent.py").read_text()
        + STEAL.format(path=str(book_path), course=str(course / "assignments")))
    out = tmp_path / "out"
    assert main(["grade", str(root), "--out", str(out), "--course", str(course)]) == 0
    result = json.loads((out / "results.json").read_text())["submissions"][0]
    output = "\n".join(c["output"] for c in result["cells"])
    assert result["protections"]["filesystem_isolated"] == (isolation.available_method() == "bubblewrap")
    if result["protections"]["filesystem_isolated"]:
        assert output.count("REFUSED FileNotFoundError") == 2 and "FOUND False []" in output
        assert "COURSE False" in output
    assert "STOLEN" not in output and str(seed) not in output
    # where the sandbox could read it (no bubblewrap), the seed would be in the file: the test can fail
    assert str(seed).encode() in book_path.read_bytes() + (course / "gradebook.sqlite-wal").read_bytes()
    for page in (out / "feedback").rglob("*.html"):
        assert str(seed) not in page.read_text()
    for page in [*(out / "gradescope").rglob("*.json"), *(out / "pages").rglob("*.html"), out / "junit.xml"]:
        assert str(seed) not in page.read_text()
