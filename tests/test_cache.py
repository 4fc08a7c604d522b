"""Regrading: unchanged submissions are not run again; a points-only rubric edit only rejudges."""

from __future__ import annotations

import dataclasses

from conftest import REFERENCE, copy_to_class
from grader import assignments, pipeline


def test_unchanged_class_is_not_run_again_and_a_points_edit_only_rejudges(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path / "cache"))
    path = copy_to_class(REFERENCE / "gradient_descent.py", tmp_path, "ada")
    path.write_text(path.read_text() + "\n# my own copy\n")  # not byte-identical to the reference's job
    root = path.parent.parent
    first = pipeline.grade(root, seed=5).submissions[0]
    again = pipeline.grade(root, seed=5).submissions[0]
    assert not first.cached and again.cached
    assert [(t.name, t.score, t.message) for t in again.tests] == [(t.name, t.score, t.message) for t in first.tests]

    original = assignments.load("gradient_descent")
    checks = tuple(dataclasses.replace(c, points=c.points * 2) if c.name == "gradient_descent" else c
                   for c in original.rubric.checks)
    edited = dataclasses.replace(original, rubric=dataclasses.replace(original.rubric, checks=checks))
    monkeypatch.setattr(assignments, "load", lambda assignment_id: edited)
    rejudged = pipeline.grade(root, seed=5).submissions[0]
    assert rejudged.cached and rejudged.max_score == first.max_score + 5

    path.write_text(path.read_text().replace("return tf.multiply(a, b)", "return tf.matmul(a, b)"))
    changed = pipeline.grade(root, seed=5).submissions[0]
    assert not changed.cached and changed.score < changed.max_score
    assert not pipeline.grade(root, seed=5, force=True).submissions[0].cached
