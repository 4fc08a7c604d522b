"""Errors that are the grader's, never a student's: they end as harness errors, not lost points."""


class HarnessError(RuntimeError):
    """The grader itself cannot go on (broken reference, missing data set, no sandbox)."""


class BrokenReference(HarnessError):
    """The reference solution's observation is not what the rubric expects: fix the rubric or reference."""
