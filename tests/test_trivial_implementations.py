"""No check awards points that a blank or trivially wrong implementation can earn.

Per assignment, the trivial students of tests/trivial.py (every function the template asks for replaced by
the same kind of trivial code: none, zeros, constant, identity, raises, hangs; for MNIST also the same with
W and b declared) are graded as one class in a single run, and every check of every one of them must score 0.
The students' limits are shortened so that the endless loops cost seconds (the reference keeps its own).
"""

import ast
import dataclasses
from pathlib import Path

import pytest
import trivial
from conftest import SEED, skip_without_mnist

from grader import assignments, notebook, pipeline

ASSIGNMENTS = ("gradient_descent", "xor", "softmax", "mnist", "iris")
SHORT = {"cell_s": 5, "probe_s": 5, "total_s": 120}



def short_limits(monkeypatch, assignment_id: str) -> None:
    """Short cell, probe and total limits for every student of the run, so that an endless loop costs seconds.

    The reference keeps the rubric's limits: its training probes need more than a few seconds (iris's take
    over 5 s here), and a reference that times out would fail the whole run.
    """
    loaded = assignments.load(assignment_id)
    reference_cells = notebook.code_cells(loaded.reference, loaded.rubric.parameters).cells
    make_job = pipeline.Plan.job

    def job(plan, cells):
        made = make_job(plan, cells)
        if plan.assignment.id != assignment_id or cells == reference_cells:
            return made
        return dataclasses.replace(made, limits=dataclasses.replace(made.limits, **SHORT))

    monkeypatch.setattr(pipeline.Plan, "job", job)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_trivial_submissions_are_the_template_with_trivial_functions(assignment_id):
    """Every function the template asks for is replaced (none: kept blank), the rest of the template is kept,
    and the script reads back into the template's cells with its parameters cell."""
    rubric = assignments.load(assignment_id).rubric
    required = trivial.required_functions(assignment_id)
    assert sorted(required) == sorted(trivial.FUNCTIONS[assignment_id]), "a template function has no trivial body"
    template_cells = notebook.cells_of(trivial.template(assignment_id), rubric.parameters).cells
    blank = {n.name: n for cell in template_cells for n in ast.parse(cell["source"]).body
             if isinstance(n, ast.FunctionDef)}
    for student in trivial.students(assignment_id):
        variant = student.removesuffix(trivial.DECLARED_SUFFIX)
        text = trivial.submission(assignment_id, student)
        read = notebook.cells_of(notebook.parse(f"{assignment_id}.py", text.encode()), rubric.parameters)
        assert not read.notes, (student, read.notes)  # the parameters cell is found
        assert len(read.cells) == len(template_cells), student
        defined = {}
        for cell in read.cells:
            tree = ast.parse(cell["source"])
            defined.update({n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)})
        for name in required:
            node = defined[name]
            statements = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                                       and isinstance(s.value.value, str))]
            want = trivial.body(assignment_id, name, variant)
            if want is None:  # the template's blank body, unchanged
                assert ast.dump(node) == ast.dump(blank[name]), (student, name)
                continue
            assert ast.dump(ast.Module(statements, [])) == ast.dump(ast.parse(want)), (student, name)


@pytest.mark.slow  # one class of ~30 trivial students per assignment; .ci/run runs it with -m slow
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_trivial_implementations_earn_no_points(assignment_id, tmp_path, monkeypatch):
    if assignment_id == "mnist":
        skip_without_mnist()
    short_limits(monkeypatch, assignment_id)
    root = tmp_path / "class"
    written = trivial.write_class(assignment_id, root)

    run = pipeline.grade(root, assignment=assignment_id, seed=SEED)

    assert not run.harness_errors, run.harness_errors
    graded = {Path(s.path).parent.name: s for s in run.submissions}
    assert sorted(graded) == sorted(written), f"graded {sorted(graded)}"
    # the functions were there to be judged: outside the endless loops (whose cells are dropped), no check
    # failed because the submission did not define what it calls
    missing = [(student, t.name, t.message) for student, result in sorted(graded.items()) if student != "hangs"
               for t in result.tests for name in trivial.required_functions(assignment_id)
               if f"{name} is not defined" in t.message or f"needs {name}, which" in t.message]
    assert not missing, "\n".join(map(str, missing))
    paid = [(student, t.name, t.score, t.message) for student, result in sorted(graded.items())
            for t in result.tests if t.score > 0]
    assert not paid, f"{len(paid)} check(s) paid a trivial implementation:\n" + "\n".join(
        f"  {student}: {name} scored {score}: {message}" for student, name, score, message in paid)
    assert all(result.score == 0 for result in graded.values())
