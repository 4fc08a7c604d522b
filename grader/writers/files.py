"""How reports reach the disk: atomically (temp file + rename), and under file names that no student
name can break.

Student names become file names through one mapping (``ReportNames``): a short readable slug plus a
hash of the whole name, so that names never collide (``Jane Doe`` and ``Jane_Doe-01332c`` are two
students, two files), never exceed a file system's limits, and never meet the run's own files: every
per-student file lives in a subfolder (``pages/``, ``gradescope/``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

SLUG_CHARS = 40


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8", errors="backslashreplace") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def slug(name: str) -> str:
    """A readable, file-system-safe stem of at most SLUG_CHARS characters (not unique on its own)."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    return clean[:SLUG_CHARS].rstrip("._-") or "_"


def stem(name: str, digits: int = 10) -> str:
    """``slug-hash``: the hash of the whole name keeps two different names apart."""
    digest = hashlib.sha256(name.encode("utf-8", errors="surrogatepass")).hexdigest()
    return f"{slug(name)}-{digest[:digits]}"


class ReportNames:
    """The one mapping from student names to file stems for a run; collision-free by construction (a
    longer hash is taken in the astronomically unlikely case that two names share ten hex digits)."""

    def __init__(self, students):
        self.stems: dict[str, str] = {}
        taken: set[str] = set()
        for student in sorted(set(students)):
            digits = 10
            candidate = stem(student, digits)
            while candidate in taken:
                digits += 6
                candidate = stem(student, digits)
            taken.add(candidate)
            self.stems[student] = candidate

    def page(self, student: str, assignment: str) -> str:
        """The submission page, relative to the report folder."""
        return f"pages/{self.stems[student]}/{slug(assignment)}.html"

    def feedback(self, student: str, assignment: str) -> str:
        """The page to hand back to the student (their folder can be sent as it is)."""
        return f"feedback/{self.stems[student]}/{slug(assignment)}.html"

    def gradescope(self, student: str) -> str:
        return f"gradescope/{self.stems[student]}.json"
