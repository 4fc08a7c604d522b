"""A student's self-check in about a second.

* ``live``: ``grader.check("forward_pass")`` in a notebook judges the running kernel's own namespace, with
  the probes and judges of grading, without saving or re-running the notebook.
* ``report``: ``CheckReport``, what ``grader.check`` returns: a table in Jupyter, a short text elsewhere.
* ``daemon`` (client) and ``server``: a per-user warm checker behind ``grader check FILE`` that keeps
  TensorFlow imported in its sandbox workers and runs exactly ``pipeline.check``.

Nothing here imports TensorFlow or the pipeline at import time: the client of the warm checker must
start quickly.
"""
