"""``grader ci github``, ``grader ci classroom`` and ``grader gradescope OUT.zip``.

``register(commands)`` adds them to the ``grader`` parser's subparsers and returns their handlers by command
name; cli.py dispatches to them like to its own.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Callable

from .. import __version__, assignments
from ..errors import HarnessError
from ..writers.files import atomic_write
from . import workflows

SHORT_SEED_BITS = 64  # as for grader grade --seed


def secret_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) or text.upper().startswith("GITHUB_"):
        raise argparse.ArgumentTypeError(f"not a GitHub secret name: {text!r} (letters, digits and _, not "
                                         "starting with a digit or GITHUB_)")
    return text


def _course(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--course", type=Path, metavar="DIR",
                        help=f"{what}; default: GRADER_COURSE_DIR, else the current directory, else this source "
                             "checkout")


def _out(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--out", type=Path, default=Path(default),
                        help=f"where to write the workflow (default: {default}; - for standard output)")
    parser.add_argument("--force", action="store_true", help="replace an existing file whose content differs")


def register(commands) -> dict[str, Callable[[argparse.Namespace], int]]:
    ci = commands.add_parser("ci", help="write a GitHub Actions workflow: staff grading or GitHub Classroom",
                             description="Write a GitHub Actions workflow that installs the grader and runs it.")
    kinds = ci.add_subparsers(dest="ci_kind", required=True, metavar="KIND")

    p = kinds.add_parser("github", help="grade submissions/ on every push, in the staff's repository",
                         description="A workflow for a repository the course staff control, holding the course "
                                     "and submissions/<student>/<assignment>.ipynb: grades on every push that "
                                     "changes them, with the seed from a repository secret, keeps the gradebook "
                                     "between runs, uploads the reports and publishes junit.xml as a check.")
    _out(p, ".github/workflows/grade.yml")
    p.add_argument("--submissions", default="submissions", metavar="DIR",
                   help="the class folder in the repository (default: submissions)")
    p.add_argument("--assignment", metavar="ID", help="grade only this assignment (default: all)")
    p.add_argument("--secret", type=secret_name, default="GRADER_SEED", metavar="NAME",
                   help="the repository secret holding the grading seed (default: GRADER_SEED)")
    p.add_argument("--install", default=".", metavar="SPEC",
                   help="what pip installs to get the grader (default: '.', the repository itself)")
    p.add_argument("--python", default=workflows.PYTHON_VERSION, metavar="VERSION",
                   help=f"the Python version to run on (default: {workflows.PYTHON_VERSION})")
    p.add_argument("--runs-on", default="ubuntu-latest", metavar="LABEL",
                   help="the runner (default: ubuntu-latest; the sandbox needs Linux with bubblewrap)")

    p = kinds.add_parser("classroom", help="self-check with the public checks in GitHub Classroom repositories",
                         description="A workflow for a GitHub Classroom template repository: each push runs the "
                                     "public checks against a student kit and reports their points to Classroom "
                                     "through its autograding reporter.")
    _course(p, "the course folder or student kit whose assignments get a check step")
    _out(p, ".github/workflows/classroom.yml")
    p.add_argument("--assignment", action="append", metavar="ID",
                   help="give this assignment a check step (repeatable; default: every assignment of the course)")
    p.add_argument("--kit", default="grader-kit", metavar="DIR",
                   help="where the student kit (grader kit DIR) is in the student's repository (default: grader-kit)")
    p.add_argument("--notebook", default="{assignment}.ipynb", metavar="PATTERN",
                   help="the notebook's path in the student's repository (default: {assignment}.ipynb)")
    p.add_argument("--install", default=f"nn-grader=={__version__}", metavar="SPEC",
                   help=f"what pip installs to get the grader (default: nn-grader=={__version__}; a kit only works "
                        "with the grader version that wrote it; e.g. git+https://HOST/nn-grader@TAG)")
    p.add_argument("--python", default=workflows.PYTHON_VERSION, metavar="VERSION",
                   help=f"the Python version to run on (default: {workflows.PYTHON_VERSION})")

    p = commands.add_parser("gradescope", help="build a Gradescope autograder zip",
                            description="Build a Gradescope autograder archive: setup.sh installs the grader, "
                                        "run_autograder grades the student's notebooks with the hidden checks and "
                                        "writes results.json. The zip holds the reference solutions and the "
                                        "grading seed: keep it private.")
    _course(p, "the course folder (with reference/) to package")
    p.add_argument("out", type=Path, help="the zip to write, e.g. autograder.zip")
    p.add_argument("--assignment", metavar="ID", help="the assignment this Gradescope assignment is (default: "
                                                      "every assignment; each notebook submitted is graded)")
    p.add_argument("--seed", type=int, help="the grading seed (default: 128 random bits drawn now; a seed below "
                                            f"2**{SHORT_SEED_BITS} can be searched for)")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help="folder holding data sets such as mnist.npz to put "
                   "in the zip (default: GRADER_DATA_DIR, else Keras's cache; else setup.sh downloads them)")
    return HANDLERS


def _use_course(args: argparse.Namespace) -> None:
    if getattr(args, "course", None) is not None:
        os.environ["GRADER_COURSE_DIR"] = str(args.course)


def write_workflow(out: Path, text: str, force: bool) -> None:
    if str(out) == "-":
        sys.stdout.write(text)
        return
    if out.exists() and out.read_text() != text and not force:
        raise HarnessError(f"{out} exists and differs from this workflow: pass --force to replace it")
    atomic_write(out, text)
    print(f"wrote {out}")


def run_ci(args: argparse.Namespace) -> int:
    _use_course(args)
    if args.ci_kind == "github":
        options = workflows.StaffOptions(submissions=args.submissions, secret=args.secret, install=args.install,
                                         python=args.python, runs_on=args.runs_on, assignment=args.assignment)
        header = workflows.STAFF_HEADER.format(submissions=args.submissions, secret=args.secret)
        write_workflow(args.out, workflows.dump(workflows.staff(options), header), args.force)
        if str(args.out) != "-":
            print(f"Next: set the repository secret {args.secret} (Settings > Secrets and variables > Actions), "
                  "e.g. to python -c 'import secrets; print(secrets.randbits(128))'")
        return 0
    known = assignments.known_ids()
    chosen = args.assignment or known
    unknown = [a for a in chosen if a not in known]
    if unknown:
        raise HarnessError(f"unknown assignment {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    try:
        notebooks = [args.notebook.format(assignment=a) for a in chosen]
    except (KeyError, IndexError, ValueError) as exc:
        raise HarnessError(f"--notebook {args.notebook!r}: only {{assignment}} may appear in braces") from exc
    if len(set(notebooks)) != len(notebooks):
        raise HarnessError(f"--notebook {args.notebook!r} names the same file for every assignment: use {{assignment}}")
    options = workflows.ClassroomOptions(assignments=tuple(chosen), kit=args.kit, notebook=args.notebook,
                                         install=args.install, python=args.python)
    header = workflows.CLASSROOM_HEADER.format(kit=args.kit, notebooks=", ".join(notebooks))
    write_workflow(args.out, workflows.dump(workflows.classroom(options), header), args.force)
    if str(args.out) != "-":
        print(f"Next: in the template repository, beside {args.out}: grader kit {args.kit}"
              + "".join(f" --assignment {shlex.quote(a)}" for a in chosen)
              + f", and the notebook(s) {', '.join(notebooks)}")
    return 0


def run_gradescope(args: argparse.Namespace) -> int:
    from .gradescope_zip import build

    _use_course(args)
    if args.seed is not None and abs(args.seed) < 2**SHORT_SEED_BITS:
        print(f"grader: note: --seed {args.seed} is short; students who see some drawn inputs could search for it "
              "and redraw the hidden ones", file=sys.stderr)
    built = build(args.out, args.assignment, args.seed, args.data_dir)
    size = args.out.stat().st_size / 1024**2
    print(f"wrote {args.out}: {', '.join(built.assignments)}; {len(built.files)} files, {size:.1f} MB")
    print("  seed: " + ("given with --seed" if args.seed is not None else "128 random bits drawn now")
          + ", stored as grader_seed (only root can read it in the container)")
    if built.data:
        print(f"  data sets inside: {', '.join(built.data)}")
    if built.missing_data:
        print(f"  data sets not found here, downloaded by setup.sh: {', '.join(built.missing_data)}")
    print(f"Upload it on Gradescope's Configure Autograder page. Keep it private: it holds the reference "
          f"solutions and the seed. To grade here with the same hidden inputs:\n"
          f"  grader grade SUBMISSIONS --seed \"$(unzip -p {shlex.quote(str(args.out))} grader_seed)\"")
    return 0


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {"ci": run_ci, "gradescope": run_gradescope}
