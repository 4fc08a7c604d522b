"""Grading harness for neural-network exercises: observe in a sandbox, judge outside."""

__version__ = "0.1.0"

__all__ = ["__version__", "grade", "check"]


def __getattr__(name):  # keep `import grader` light: the pipeline is loaded on first use
    if name in ("grade", "check"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
