"""The two scripts Gradescope runs: ``setup.sh`` once, as root, when it builds the autograder's image, and
``run_autograder`` for every submission. Both only find Python and hand over to ``grader.packaging.autograder``.

``AUTOGRADER_ROOT`` (default /autograder) moves the whole layout, ``GRADER_VENV`` (default /opt/nn-grader)
the grader's installation and ``GRADER_PYTHON`` the interpreter run_autograder uses: tests run both
scripts in a temporary folder this way.
"""

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (written by `grader gradescope`).
set -euo pipefail
# the grader's installation must be readable by the unprivileged user student code runs as
umask 022
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="${GRADER_VENV:-/opt/nn-grader}"
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq || echo "setup.sh: apt-get update failed; installing from the lists there are"
if ! command -v bwrap >/dev/null 2>&1; then
  # the strongest sandbox; Gradescope's containers may not allow it to run, the grader then falls back
  apt-get install -y -qq bubblewrap || echo "setup.sh: bubblewrap could not be installed"
fi

supported() { "$1" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' 2>/dev/null; }
PYTHON=""
for candidate in python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then
    PYTHON="$(command -v "$candidate")"
    break
  fi
done
if [ -z "$PYTHON" ]; then  # Ubuntu 22.04 (Gradescope's default image) has Python 3.10
  if ! apt-get install -y -qq python3.11 python3.11-venv; then
    echo "setup.sh: no Python 3.11 or 3.12 here and none could be installed: choose a base image that has one" >&2
    exit 1
  fi
  PYTHON="$(command -v python3.11)"
fi

if ! "$PYTHON" -m venv "$VENV"; then  # Debian and Ubuntu keep venv's pip in a package of its own
  version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  apt-get install -y -qq "python$version-venv"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "$SOURCE"
chmod 755 "$SOURCE/run_autograder"
# data sets, folder permissions, the reference's observations at the grading seed
"$VENV/bin/python" -I -m grader.packaging.autograder prepare --root "$ROOT"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission, as root (written by `grader gradescope`).
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${GRADER_PYTHON:-${GRADER_VENV:-/opt/nn-grader}/bin/python}"
if [ ! -x "$PYTHON" ]; then
  echo "run_autograder: $PYTHON not found: setup.sh did not finish (see the image's build log)" >&2
  mkdir -p "$ROOT/results"
  cat > "$ROOT/results/results.json" <<'EOF'
{"score": 0, "output_format": "text", "stdout_visibility": "hidden", "tests": [],
 "output": "Not graded: the autograder is not set up. This is not your doing; your instructor has the details."}
EOF
  exit 1
fi
# no secret on this command line: the seed is read from a file only root can read
exec "$PYTHON" -I -m grader.packaging.autograder run --root "$ROOT"
"""
