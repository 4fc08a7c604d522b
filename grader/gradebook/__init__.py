"""The course's memory across runs: ``store`` (the SQLite gradebook), ``grading`` (a class graded against it),
``views`` (overrides applied, the class grid, what changed), ``roster`` and ``lms`` (Canvas in and out)."""
