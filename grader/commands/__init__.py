"""Each command of the command line (parsing is in grader/cli.py)."""
