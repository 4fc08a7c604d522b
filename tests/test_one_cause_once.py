"""One cause, one message: in the example class's broken submissions (cy: a SyntaxError, Keras 2 code from
the notes), each error is reported in full once, each migration hint is shown once, and every other check
that met the same cause says so in one line that points there."""

from __future__ import annotations

import re
import shutil
from collections import Counter

import pytest

from conftest import EXAMPLES, SEED
from grader import pipeline
from grader.judge.hints import HINTS

BROKEN = ("gradient_descent", "xor", "softmax", "iris")


@pytest.fixture(scope="module")
def cy(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    (root / "cy").mkdir()
    for assignment in BROKEN:
        shutil.copyfile(EXAMPLES / "cy" / f"{assignment}.ipynb", root / "cy" / f"{assignment}.ipynb")
    run = pipeline.grade(root, seed=SEED)
    assert not run.harness_errors
    return {s.assignment: s for s in run.submissions}


def shown_texts(result) -> list[str]:
    """Everything a reader of the report sees as prose: cells' messages, causes and hints, checks'
    messages and hints."""
    texts = [t for c in result.cells for t in (c.message, c.cause, c.hint)]
    texts += [t for test in result.tests if test.status != "passed" for t in (test.message, test.hint)]
    return [t for t in texts if t]


@pytest.mark.parametrize("assignment", BROKEN)
def test_each_migration_hint_is_shown_once(cy, assignment):
    result = cy[assignment]
    text = "\n".join(shown_texts(result))
    counts = {hint.text[:60]: text.count(hint.text) for hint in HINTS}
    assert all(n <= 1 for n in counts.values()), {h: n for h, n in counts.items() if n > 1}


@pytest.mark.parametrize("assignment", BROKEN)
def test_each_error_is_reported_in_full_once(cy, assignment):
    result = cy[assignment]
    errors = Counter(t.message for t in result.tests if t.status == "error" and not t.message.startswith("not checked"))
    assert all(n == 1 for n in errors.values()), errors
    for test in result.tests:
        if test.message.startswith("not checked"):
            assert "\n" not in test.message and len(test.message) < 200 and not test.hint
            pointed = re.search(r"(?:see|in) (check (\w+)|code cell \d+)", test.message)
            assert pointed, test.message
            if pointed.group(2):  # it points to a check that really shows the cause
                target = next(t for t in result.tests if t.name == pointed.group(2))
                assert target.status != "passed" and not target.message.startswith("not checked")
                assert not (target.visibility == "hidden" and test.visibility != "hidden")


def test_the_syntax_error_of_cy_softmax_is_one_row(cy):
    result = cy["softmax"]
    broken = [c for c in result.cells if c.error_type == "SyntaxError"]
    assert len(broken) == 1 and broken[0].hint
    full = [t for t in result.tests if "SyntaxError" in t.message and not t.message.startswith("not checked")]
    assert len(full) <= 1
    pointing = [t for t in result.tests if t.message.startswith("not checked")]
    assert pointing and all(broken[0].label in t.message or "check" in t.message for t in pointing), \
        [t.message for t in pointing]
