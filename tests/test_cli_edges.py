"""The command line's edges: bad numbers, pipes that close, a bad environment, help for every argument."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from grader.cli import main, parser
from conftest import EXAMPLES, ROOT


@pytest.mark.parametrize("jobs", ["0", "-3", "two"])
def test_jobs_must_be_a_positive_number(jobs, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["grade", str(EXAMPLES), "--jobs", jobs])
    assert stop.value.code == 2 and "--jobs" in capsys.readouterr().err


def test_list_into_a_closed_pipe_ends_quietly():
    done = subprocess.run(f"{sys.executable} -m grader list | head -1", shell=True, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.stdout.startswith("course:") and "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_an_invalid_sandbox_setting_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(EXAMPLES), "--assignment", "softmax",
                           "--out", str(tmp_path)], env=dict(os.environ, GRADER_SANDBOX="docker"), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "GRADER_SANDBOX must be" in done.stderr and done.stderr.count("\n") == 1


def test_an_unknown_course_is_one_line(tmp_path, capsys):
    assert main(["list", "--course", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a course folder" in err and err.count("\n") == 1


def test_every_argument_has_help_text():
    def walk(p: argparse.ArgumentParser):
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub)
            elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                yield p.prog, action
    missing = [f"{prog} {action.dest}" for prog, action in walk(parser()) if not action.help]
    assert missing == []
