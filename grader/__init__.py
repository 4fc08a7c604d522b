"""Grading harness for neural-network exercises: observe in a sandbox, judge outside.

In a notebook (a student's self-check, public checks only)::

    import grader
    grader.check("forward_pass")        # one check, on what this kernel defines now: no saving, no re-run
    grader.check()                      # every public check of the assignment
    grader.check("xor.ipynb")           # the saved file, run as grading runs it (sandboxed, from scratch)

Each returns a ``CheckReport`` (``.passed``, ``.score``, ``.max_score``, ``.result``), shown as a table.
From a script::

    run = grader.grade("submissions/")  # a whole class; returns a GradingRun (see results.py)
"""

__version__ = "0.1.0"

__all__ = ["__version__", "grade", "check"]


def grade(submissions, **options):
    """Grade a folder of ``<student>/<assignment>.ipynb`` files; options as ``pipeline.grade``."""
    from pathlib import Path

    from . import pipeline

    return pipeline.grade(Path(submissions), **options)


def check(what=None, assignment=None, quiet=False, namespace=None):
    """A student's self-check: the public checks only.

    ``what``: the name of one check (``"forward_pass"``) or nothing (every public check) to judge the live
    namespace — IPython's user namespace, else the caller's globals, or ``namespace`` — as it is now;
    or the path of a saved notebook or script, run from scratch in the sandbox (through the warm checker
    when it can start, see ``grader.selfcheck.daemon``). ``assignment``: which assignment (default: the
    notebook's metadata, else the names defined, else the check's name; a file: its metadata, else its name).
    Outside IPython the table is printed unless ``quiet``; in IPython the returned report shows itself.
    """
    import os
    import sys
    import time
    from pathlib import Path

    if what is not None and (isinstance(what, os.PathLike) or not str(what).isidentifier()):
        from .selfcheck import daemon
        from .selfcheck.report import CheckReport

        started = time.perf_counter()
        result, errors = daemon.check_file(Path(what), assignment=assignment)
        report = CheckReport(result, list(errors), round(time.perf_counter() - started, 3))
    else:
        from .selfcheck import live

        report = live.check_live(what, assignment=assignment, namespace=namespace,
                                 caller_globals=sys._getframe(1).f_globals)
    if not quiet and _no_shell():
        print(report)
    return report


def _no_shell() -> bool:
    import sys

    if "IPython" not in sys.modules:
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    return get_ipython() is None
