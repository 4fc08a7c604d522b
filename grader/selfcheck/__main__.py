"""``python -m grader.selfcheck [--watch] FILE``: ``grader check`` through the warm checker, with only the
imports a client needs (the ``grader`` command line imports every command first)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.selfcheck", description="Self-check one file.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--assignment", metavar="ID")
    parser.add_argument("--course", type=Path, metavar="DIR")
    parser.add_argument("--data-dir", type=Path, metavar="DIR")
    parser.add_argument("--watch", action="store_true", help="check again after every save, until Ctrl-C")
    args = parser.parse_args(argv)
    from ..errors import HarnessError
    from ..text import printable
    from . import daemon

    if args.course is not None:
        os.environ["GRADER_COURSE_DIR"] = str(args.course)
    try:
        if args.watch:
            return daemon.watch(args.file, args.assignment, data_dir=args.data_dir)
        return daemon.check_command(args.file, args.assignment, data_dir=args.data_dir)
    except (HarnessError, KeyError) as exc:
        print(f"grader: {printable(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
