"""Grading harness for neural-network exercises: observe in a sandbox, judge outside.

From a notebook or a script::

    import grader
    grader.check("xor.ipynb")          # the public checks, printed as a table; returns the result
    run = grader.grade("submissions/")  # a whole class; returns a GradingRun (see results.py)
"""

__version__ = "0.1.0"

__all__ = ["__version__", "grade", "check"]


def grade(submissions, **options):
    """Grade a folder of ``<student>/<assignment>.ipynb`` files; options as ``pipeline.grade``."""
    from pathlib import Path

    from . import pipeline

    return pipeline.grade(Path(submissions), **options)


def check(path, assignment=None, quiet=False):
    """A student's self-check of one saved notebook or script: public checks only."""
    from pathlib import Path

    from . import pipeline
    from .writers import terminal

    result = pipeline.check(Path(path), assignment=assignment).submissions[0]
    if not quiet:
        print(terminal.check_table(result))
    return result
