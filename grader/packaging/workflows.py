"""GitHub Actions workflows, built as data and written with PyYAML (quoting is the library's job, not ours).

Two workflows: ``staff`` (a repository the course staff control, holding the course and ``submissions/``)
grades for real, with the seed from a repository secret; ``classroom`` (each student's repository, made by
GitHub Classroom from a template) runs the public checks against a student kit and reports points to
Classroom through its autograding reporter.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import yaml

from .. import __version__

# Current major versions (looked up July 2026); one place to bump them.
CHECKOUT = "actions/checkout@v7"
SETUP_PYTHON = "actions/setup-python@v7"
UPLOAD_ARTIFACT = "actions/upload-artifact@v7"
CACHE_RESTORE = "actions/cache/restore@v5"
CACHE_SAVE = "actions/cache/save@v5"
JUNIT_REPORT = "mikepenz/action-junit-report@v6"
CLASSROOM_REPORTER = "classroom-resources/autograding-grading-reporter@v1"

PYTHON_VERSION = "3.11"
GRADEBOOK = "gradebook.sqlite"  # in the workspace: restored before grading, saved after, whatever happened
REPORTS = "reports"

BUBBLEWRAP = """sudo apt-get update -qq
sudo apt-get install -y -qq bubblewrap
# Ubuntu 24.04 forbids unprivileged user namespaces by default (AppArmor); bubblewrap needs them
if [ -e /proc/sys/kernel/apparmor_restrict_unprivileged_userns ]; then
  sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0
fi
"""


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (shell scripts) as literal blocks, as a person would write them."""


def _text(dumper: yaml.SafeDumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def dump(workflow: dict, header: str) -> str:
    body = yaml.dump(workflow, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.strip().splitlines())
    return comments + body


def step_id(assignment: str) -> str:
    """A step id (letters, digits, ``_``, ``-``; not starting with a digit) that is also the reporter's
    runner name, whose results it reads from ``<ID>_RESULTS``."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", assignment)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"_{cleaned}"


@dataclass(frozen=True)
class StaffOptions:
    submissions: str = "submissions"
    secret: str = "GRADER_SEED"
    install: str = "."
    python: str = PYTHON_VERSION
    runs_on: str = "ubuntu-latest"
    assignment: str | None = None


def grade_command(options: StaffOptions) -> str:
    only = f" --assignment {shlex.quote(options.assignment)}" if options.assignment else ""
    grade = f"grader grade {shlex.quote(options.submissions)} --out {REPORTS}"
    return (f'if [ -z "${{GRADER_SEED:-}}" ]; then\n'
            f'  echo "::warning::no {options.secret} secret: the seed is the course seed kept in the cached '
            f'gradebook (set the secret so that grades never depend on the cache)"\n'
            f'  {grade}{only}\n'
            f'else\n'
            f'  {grade} --seed "$GRADER_SEED"{only}\n'
            f'fi\n')


def staff(options: StaffOptions = StaffOptions()) -> dict:
    gradebook_key = "gradebook-${{ github.run_id }}"
    steps = [
        {"name": "Check out the course and the submissions", "uses": CHECKOUT},
        {"uses": SETUP_PYTHON, "with": {"python-version": options.python}},
        {"name": "Install bubblewrap (the sandbox)", "run": BUBBLEWRAP},
        {"name": "Install the grader", "run": f"python -m pip install {shlex.quote(options.install)}"},
        # without bubblewrap student code would run as the runner's own user, which can read the grader's
        # command line and environment (the seed): refuse to grade rather than grade with the seed exposed
        {"name": "Check the sandbox", "run": "python -m grader.packaging.sandbox_check --require bubblewrap"},
        {"name": "Restore the gradebook", "uses": CACHE_RESTORE,
         "with": {"path": GRADEBOOK, "key": gradebook_key, "restore-keys": "gradebook-"}},
        {"name": "Grade", "env": {"GRADER_SEED": f"${{{{ secrets.{options.secret} }}}}"},
         "run": grade_command(options)},
        {"name": "Save the gradebook", "if": f"always() && hashFiles('{GRADEBOOK}') != ''", "uses": CACHE_SAVE,
         "with": {"path": GRADEBOOK, "key": gradebook_key}},
        {"name": "Upload the reports", "if": "always()", "uses": UPLOAD_ARTIFACT,
         "with": {"name": "reports", "path": REPORTS, "if-no-files-found": "warn"}},
        {"name": "Publish the grades as a test report", "if": "always()", "uses": JUNIT_REPORT,
         "with": {"report_paths": f"{REPORTS}/junit.xml", "check_name": "Grades", "detailed_summary": True}},
    ]
    return {
        "name": "Grade submissions",
        "on": {"push": {"paths": [f"{options.submissions}/**", "assignments/**", "reference/**"]},
               "workflow_dispatch": None},
        "permissions": {"contents": "read", "checks": "write"},  # checks: the test report
        # one run at a time: each starts from the gradebook the previous one saved
        "concurrency": {"group": "grade", "cancel-in-progress": False},
        "jobs": {"grade": {"runs-on": options.runs_on, "timeout-minutes": 240,
                           "env": {"GRADER_GRADEBOOK": GRADEBOOK}, "steps": steps}},
    }


STAFF_HEADER = f"""
Written by `grader ci github` (nn-grader {__version__}). For a repository the course staff control (never a
student's): the course (assignments/, reference/) and {{submissions}}/<student>/<assignment>.ipynb.
Set the repository secret {{secret}} to a long random number, e.g.
    python -c 'import secrets; print(secrets.randbits(128))'
Hidden inputs are drawn from it. The reports artifact (results.json) and the cached gradebook
hold the seed too: keep this repository private to the staff.
"""


@dataclass(frozen=True)
class ClassroomOptions:
    assignments: tuple[str, ...]
    kit: str = "grader-kit"
    notebook: str = "{assignment}.ipynb"
    install: str = f"nn-grader=={__version__}"  # a kit is only valid with the grader version that wrote it
    python: str = PYTHON_VERSION


def check_command(options: ClassroomOptions, assignment: str) -> str:
    notebook = options.notebook.format(assignment=assignment)
    return (f"python -m grader.packaging.classroom_result {shlex.quote(notebook)} --course {shlex.quote(options.kit)} "
            f"--assignment {shlex.quote(assignment)}")


def classroom(options: ClassroomOptions) -> dict:
    ids = [step_id(a) for a in options.assignments]
    checks = [{"name": f"Public checks: {assignment}", "id": sid, "run": check_command(options, assignment)}
              for assignment, sid in zip(options.assignments, ids)]
    steps = [
        {"name": "Checkout code", "uses": CHECKOUT},
        {"uses": SETUP_PYTHON, "with": {"python-version": options.python}},
        {"name": "Install bubblewrap (the sandbox)", "run": BUBBLEWRAP},
        {"name": "Install the grader", "run": f"python -m pip install {shlex.quote(options.install)}"},
        *checks,
        {"name": "Autograding Reporter", "uses": CLASSROOM_REPORTER,
         "env": {f"{sid.upper()}_RESULTS": f"${{{{ steps.{sid}.outputs.result }}}}" for sid in ids},
         "with": {"runners": ",".join(ids)}},
    ]
    return {
        "name": "Autograding Tests",
        "on": ["push", "repository_dispatch", "workflow_dispatch"],
        "permissions": {"checks": "write", "actions": "read", "contents": "read"},
        "jobs": {"run-autograding-tests": {
            "runs-on": "ubuntu-latest",
            "if": "github.actor != 'github-classroom[bot]'",  # not on the commit that creates the repository
            "timeout-minutes": 60,
            "steps": steps}},
    }


CLASSROOM_HEADER = f"""
Written by `grader ci classroom` (nn-grader {__version__}). For GitHub Classroom: put it in the assignment's
template repository as .github/workflows/classroom.yml, with the student kit (`grader kit {{kit}}`) and the
notebook(s) ({{notebooks}}). Each push runs the PUBLIC checks only (what `grader check` shows)
and reports their points to Classroom. Students can edit this file in their own repository: treat these
points as feedback; grade with the hidden checks (`grader grade`) for marks that count.
"""
