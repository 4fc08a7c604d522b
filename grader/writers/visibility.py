"""What a student may see of a result: one policy for the student page and the Gradescope output."""

from __future__ import annotations

from ..results import TestResult


def public_view(test: TestResult) -> dict:
    """What the student may see of a check: a hidden one never shows its description, hint or curves, and
    its message only when the rubric allows it (``hidden_feedback = "message"``: ``private`` is then False)."""
    hidden = test.visibility == "hidden"
    return {"name": test.name, "score": test.score, "max_score": test.max_score, "status": test.status,
            "visibility": test.visibility, "description": "" if hidden else test.description,
            "message": "" if hidden and test.private else test.message, "hint": "" if hidden else test.hint,
            "cell": test.cell}


STUDENT_UNGRADED = ("not graded: the grader could not do its job for this assignment, and it is not your doing; "
                    "your instructor has the details and will grade it again")
