"""Student kits: self-checking without the reference solutions, through the same pipeline."""

from __future__ import annotations

import json

from conftest import EXAMPLES, REFERENCE, ROOT
from grader import assignments, pipeline
from grader.cli import main


def public_outcome(run):
    [result] = run.submissions
    return [(t.name, t.status, t.score, t.message) for t in result.tests], run.harness_errors


def test_a_kit_checks_like_the_full_course_and_holds_no_reference(tmp_path, monkeypatch, capsys):
    kit = tmp_path / "kit"
    assert main(["kit", str(kit), "--assignment", "no_such_assignment"]) == 2
    (ROOT / "assignments" / "gradient_descent" / "scratch-solution.py").write_text("# a draft beside the rubric")
    try:
        assert main(["kit", str(kit), "--assignment", "gradient_descent"]) == 0
    finally:
        (ROOT / "assignments" / "gradient_descent" / "scratch-solution.py").unlink()
    files = [p for p in kit.rglob("*") if p.is_file()]
    assert sorted(p.name for p in files) == ["__init__.py", "judges.py", "probes.py", "public_reference.json",
                                             "rubric.py", "template.ipynb"]
    assert not (kit / "reference").exists()
    solution = (REFERENCE / "gradient_descent.py").read_text()
    body = solution[solution.index("    x = tf.Variable(x0"):solution.index("    return xs")]  # a solved TODO
    assert not any(body in p.read_text(errors="replace") for p in files)
    published = json.loads((kit / "assignments" / "gradient_descent" / "public_reference.json").read_text())
    assert published["record"]["process_output"] == "" and published["record"]["observations"]

    full = {who: public_outcome(pipeline.check(EXAMPLES / who / "gradient_descent.ipynb")) for who in ("ada", "ben")}
    monkeypatch.setenv("GRADER_COURSE_DIR", str(kit))
    assignments.load.cache_clear()
    try:
        for who in ("ada", "ben"):
            assert public_outcome(pipeline.check(EXAMPLES / who / "gradient_descent.ipynb")) == full[who]
        assert full["ben"][0] != full["ada"][0]  # the kit really judges: ben's mistakes still fail

        # grading needs the hidden checks, which a kit cannot judge: a clear harness error, no scores
        class_dir = tmp_path / "class" / "ada"
        class_dir.mkdir(parents=True)
        (class_dir / "gradient_descent.ipynb").write_bytes((EXAMPLES / "ada" / "gradient_descent.ipynb").read_bytes())
        run = pipeline.grade(tmp_path / "class", seed=1)
        assert run.submissions[0].status == "ungraded" and run.submissions[0].score is None
        assert any("student kit" in e for e in run.harness_errors)

        # a kit whose budget or probes were edited after publishing refuses to judge with stale observations
        rubric = kit / "assignments" / "gradient_descent" / "rubric.py"
        rubric.write_text(rubric.read_text().replace('parameters={"STEPS": 50}', 'parameters={"STEPS": 60}'))
        assignments.load.cache_clear()
        stale = pipeline.check(EXAMPLES / "ada" / "gradient_descent.ipynb")
        assert any("ask for a new kit" in e for e in stale.harness_errors)
    finally:
        assignments.load.cache_clear()
