"""``python -m grader.packaging.sandbox_check [--require bubblewrap]``: say which isolation this host gives
submissions, and fail when it is weaker than required (a CI job that holds a secret seed must not grade
when student code could read the grader's command line and environment)."""

from __future__ import annotations

import argparse
import sys

from ..sandbox import isolation

STRENGTH = {"none": 0, "unshare": 1, "bubblewrap": 2}
MEANING = {
    "bubblewrap": "bubblewrap: no network, own PID namespace, a file system showing only the system and Python",
    "unshare": "unshare -n: no network, but the host's file system and processes are visible",
    "none": "no isolation: student code sees the network, the file system and the grader's processes",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.packaging.sandbox_check",
                                     description="Report the sandbox this host supports.")
    parser.add_argument("--require", choices=tuple(STRENGTH), default="none",
                        help="fail (exit 1) unless the sandbox is at least this strong (default: none)")
    args = parser.parse_args(argv)
    method = isolation.available_method()
    print(f"sandbox: {MEANING[method]}")
    if STRENGTH[method] < STRENGTH[args.require]:
        # on standard output, where GitHub Actions reads workflow commands such as ::error::
        print(f"::error::the sandbox here is {method}, not {args.require}: refusing to grade (see the step that "
              "installs bubblewrap)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
