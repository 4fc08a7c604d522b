"""Command line: the term's commands (grade, import, export, feedback, override) and the student's
(check, list, kit). Each command's work is in ``grader/commands/``; this module only parses and reports."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from pathlib import Path

from . import __version__, assignments
from .packaging import commands as packaging
from .errors import HarnessError
from .text import printable
from .gradebook.roster import RosterError
from .gradebook.store import GradebookError


class Stopped(KeyboardInterrupt):
    """SIGTERM (a CI runner or a Dask nanny stopping us): unwinds like Ctrl-C, every sandbox stopped."""


SHORT_SEED_BITS = 64  # a --seed below 2**64 could be searched for from the inputs students see


def _terminate(signum, frame):
    raise Stopped(signum)


def jobs_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course", type=Path, metavar="DIR",
                        help="the course folder (assignments/, reference/) or student kit; default: GRADER_COURSE_DIR, "
                             "else the current directory, else this source checkout")
    book = argparse.ArgumentParser(add_help=False)
    book.add_argument("--gradebook", type=Path, metavar="PATH",
                      help="the gradebook (SQLite file); default: GRADER_GRADEBOOK, else gradebook.sqlite in the course")
    book.add_argument("--roster", type=Path, metavar="CSV",
                      help="roster.csv (id, name, email, lms_id) to load into the gradebook; default: roster.csv in "
                           "the course folder when there is one")
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data-dir", type=Path, metavar="DIR", help="folder holding data sets such as mnist.npz "
                                                                  "(default: GRADER_DATA_DIR, else Keras's cache)")

    top = argparse.ArgumentParser(prog="grader", description="Grade neural-network exercises.")
    top.add_argument("--version", action="version", version=f"nn-grader {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("grade", parents=[common, book, data], help="grade a class folder into the gradebook "
                            "and write reports", description="Grade SUBMISSIONS/<student>/<assignment>.ipynb; only "
                            "what changed since the gradebook's last grade is run again.")
    p.add_argument("submissions", type=Path, help="the class folder: one folder per student")
    p.add_argument("--assignment", metavar="ID", help="grade only this assignment")
    p.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default: reports/)")
    p.add_argument("--jobs", type=jobs_count, default=1, help="submissions graded in parallel (default: 1)")
    p.add_argument("--seed", type=int, help="grade this run with this seed instead of the course seed kept in the "
                                            f"gradebook (a seed below 2**{SHORT_SEED_BITS} can be searched for)")
    p.add_argument("--new-seed", action="store_true", help="draw a new course seed (new hidden inputs for everyone; "
                                                           "every submission is graded again)")
    p.add_argument("--force", action="store_true", help="run every submission again even if nothing that decides "
                                                        "its grade changed")
    p.add_argument("--no-gradebook", action="store_true", help="grade this folder alone: no gradebook, a fresh seed")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="send the work to a Dask distributed cluster")

    p = commands.add_parser("check", parents=[common, data], help="self-check one file against the public checks")
    p.add_argument("file", type=Path, help="your notebook (.ipynb) or script (.py)")
    p.add_argument("--assignment", metavar="ID", help="which assignment the file is (default: from the notebook's "
                                                      "metadata, else its file name)")
    p.add_argument("--watch", action="store_true", help="check again every time the file is saved (Ctrl-C ends it)")
    p.add_argument("--no-daemon", action="store_true", help="check in this process, not through the per-user warm "
                                                            "checker (also: GRADER_NO_DAEMON=1)")

    commands.add_parser("list", parents=[common], help="list the assignments, their checks and points")

    p = commands.add_parser("kit", parents=[common, data], help="write a student kit: the course without reference "
                            "solutions, with the reference's observations on the public checks")
    p.add_argument("out", type=Path, help="the folder to write the kit into (not the course folder)")
    p.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")

    p = commands.add_parser("import", parents=[common, book], help="import a Canvas 'Download Submissions' folder "
                            "or zip into SUBMISSIONS/<student>/<assignment>.ipynb")
    p.add_argument("download", type=Path, help="the folder or zip Canvas gave (files name_userid_subid_file.ipynb)")
    p.add_argument("submissions", type=Path, help="the class folder to write into")
    p.add_argument("--assignment", metavar="ID", help="every file is this assignment (default: recognise each "
                                                      "file by its metadata, else its name)")

    p = commands.add_parser("export", parents=[common, book], help="write the gradebook as CSV and as a Canvas "
                            "gradebook import file")
    p.add_argument("--out", type=Path, default=Path("export"), help="folder for gradebook.csv and canvas.csv "
                                                                    "(default: export/)")
    p.add_argument("--missing", choices=("blank", "zero"), default="blank",
                   help="what a missing submission exports as (default: blank)")
    p.add_argument("--column", action="append", metavar="ID=NAME", help="the Canvas column name of an assignment, "
                   "e.g. xor='Lab 2: XOR (4821)' to update an existing Canvas assignment (repeatable)")

    p = commands.add_parser("feedback", parents=[common, book], help="write one folder per student with their "
                            "pages to hand back")
    p.add_argument("out", type=Path, help="the folder to write into")

    p = commands.add_parser("history", parents=[common, book], help="every grading attempt of a student")
    p.add_argument("student", help="the student's id (their submission folder's name)")
    p.add_argument("--assignment", metavar="ID", help="only this assignment")

    p = commands.add_parser("override", parents=[common, book], help="set a score by hand (kept through regrades)",
                            description="grader override STUDENT ASSIGNMENT [CHECK] POINTS --reason TEXT")
    p.add_argument("target", nargs="*", metavar="STUDENT ASSIGNMENT [CHECK] POINTS",
                   help="whose score, which assignment, optionally which check, and the points it is worth")
    p.add_argument("--reason", help="why (shown with the score in reports and exports)")
    p.add_argument("--by", help="who decided (default: your login name)")
    p.add_argument("--list", action="store_true", help="list the overrides in force")
    p.add_argument("--remove", type=int, metavar="N", help="withdraw override #N")

    HANDLERS.update(packaging.register(commands))  # grader ci github | classroom, grader gradescope
    return top


def _command(module: str, function: str):
    """A command's code, imported when it runs: `grader check` need not load the report writers."""
    def run(args) -> int:
        return getattr(importlib.import_module(f"grader.commands.{module}"), function)(args)
    return run


HANDLERS = {"grade": _command("grade", "run_grade"), "check": _command("student", "run_check"),
            "list": _command("student", "run_list"), "kit": _command("student", "run_kit"),
            "import": _command("course", "run_import"), "export": _command("course", "run_export"),
            "feedback": _command("course", "run_feedback"), "override": _command("course", "run_override"),
            "history": _command("course", "run_history")}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    course_before = os.environ.get("GRADER_COURSE_DIR")
    if getattr(args, "course", None) is not None:  # for this command only (main may be called as a library)
        os.environ["GRADER_COURSE_DIR"] = str(args.course)
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (called as a library): leave signals alone
        previous = None
    try:
        return HANDLERS[args.command](args)
    except KeyboardInterrupt as exc:
        launchers = sys.modules.get("grader.sandbox.launchers")  # not imported: no sandbox was started
        if launchers is not None:
            launchers.close_all()
        if not getattr(exc, "reported", False):
            print("\ngrader: interrupted; every sandbox was stopped and nothing was left behind", file=sys.stderr)
        return 128 + exc.args[0] if isinstance(exc, Stopped) else 130
    except (HarnessError, GradebookError, RosterError, NotADirectoryError, FileNotFoundError) as exc:
        print(f"grader: {printable(str(exc))}", file=sys.stderr)
        return 2
    except assignments.UnknownAssignment as exc:
        print(f"grader: unknown assignment {printable(str(exc))}; known: {', '.join(assignments.known_ids())}",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # `grader list | head`: the reader has gone, which is fine for a listing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0 if args.command in ("list", "history") else 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if course_before is None:
            os.environ.pop("GRADER_COURSE_DIR", None)
        else:
            os.environ["GRADER_COURSE_DIR"] = course_before


if __name__ == "__main__":
    sys.exit(main())
