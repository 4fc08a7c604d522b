"""``grader gradescope OUT.zip``: a Gradescope autograder archive.

At its root: ``setup.sh`` and ``run_autograder`` (``gradescope_scripts``), the grader's source with its
``pyproject.toml`` (setup.sh pip-installs it), the course (``assignments/<id>/``, ``reference/<id>.*``), the
data sets it needs when this machine has them (``data/``), ``autograder.json`` (what to grade) and
``grader_seed``. Only what is named here goes in: never a cache, a ``.git``, reports or a gradebook.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .. import __version__, assignments, datasets, pipeline
from ..errors import HarnessError
from .autograder import CONFIG, DATA, SEED
from .gradescope_scripts import RUN_AUTOGRADER, SETUP_SH

SKIPPED_PARTS = {"__pycache__", ".git", ".ipynb_checkpoints", "reports"}
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".sqlite", ".sqlite-journal", ".sqlite-wal", ".sqlite-shm")


def skipped(relative: Path) -> bool:
    return (any(part in SKIPPED_PARTS or part.startswith(".") for part in relative.parts)
            or relative.name.endswith(SKIPPED_SUFFIXES))


@dataclass
class Built:
    path: Path
    assignments: list[str]
    files: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # data sets inside the zip
    missing_data: list[str] = field(default_factory=list)  # data sets setup.sh will download


def _files_below(folder: Path, prefix: str) -> dict[str, Path]:
    return {f"{prefix}/{p.relative_to(folder).as_posix()}": p for p in sorted(folder.rglob("*"))
            if p.is_file() and not skipped(p.relative_to(folder))}


def project_files() -> dict[str, Path | bytes]:
    """The grader's source and what pip needs to install it: this checkout's pyproject.toml and README.md,
    or, from a regular install (no pyproject.toml beside the package), one written from its metadata."""
    package = Path(__file__).resolve().parents[1]  # grader/
    files: dict[str, Path | bytes] = dict(_files_below(package, "grader"))
    project = package.parent / "pyproject.toml"
    if project.is_file():
        files["pyproject.toml"] = project
        if (package.parent / "README.md").is_file():
            files["README.md"] = package.parent / "README.md"
    else:
        files["pyproject.toml"] = generated_pyproject().encode()
    return files


def generated_pyproject() -> str:
    dependencies = [r for r in metadata.requires("nn-grader") or [] if "extra ==" not in r]
    quoted = ", ".join(json.dumps(d) for d in dependencies)  # a JSON string is a TOML basic string
    return "\n".join([
        "[build-system]", 'requires = ["setuptools>=68"]', 'build-backend = "setuptools.build_meta"', "",
        "[project]", 'name = "nn-grader"', f"version = {json.dumps(__version__)}", 'requires-python = ">=3.11"',
        f"dependencies = [{quoted}]", "", "[project.scripts]", 'grader = "grader.cli:main"', "",
        "[tool.setuptools.packages.find]", 'include = ["grader*"]', "",
        "[tool.setuptools.package-data]", 'grader = ["**/*.j2", "**/*.json"]', ""])


def course_files(ids: list[str], data_dir: Path | None) -> tuple[dict[str, Path], list[str], list[str]]:
    files: dict[str, Path] = {}
    data, missing = [], []
    for assignment in ids:
        loaded = assignments.load(assignment)
        if loaded.reference is None:
            raise HarnessError(f"{assignment} has no reference solution here (a student kit?): Gradescope grades "
                               "with the hidden checks, which need the full course")
        files.update(_files_below(loaded.folder, f"assignments/{assignment}"))
        files[f"reference/{loaded.reference.name}"] = loaded.reference
        for name in loaded.rubric.data_files:
            try:
                found = datasets.locate(name, data_dir, download=False)
            except datasets.DataSetMissing:
                missing.append(name)
                continue
            files[f"{DATA}/{found.name}"] = found
            data.append(name)
    return files, sorted(set(data)), sorted(set(missing))


def _entry(archive: zipfile.ZipFile, name: str, content: Path | bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions (unzip and Gradescope)
    archive.writestr(info, content.read_bytes() if isinstance(content, Path) else content)


def build(out: Path, assignment: str | None = None, seed: int | None = None, data_dir: Path | None = None) -> Built:
    known = assignments.known_ids()
    if assignment is not None and assignment not in known:
        raise HarnessError(f"unknown assignment {assignment!r}; known: {', '.join(known)}")
    ids = [assignment] if assignment else known
    course, data, missing = course_files(ids, data_dir)
    config = {"assignment": assignment, "assignments": ids, "grader_version": __version__,
              "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "data": data}
    entries: dict[str, tuple[Path | bytes, int]] = {
        "setup.sh": (SETUP_SH.encode(), 0o755), "run_autograder": (RUN_AUTOGRADER.encode(), 0o755),
        CONFIG: (json.dumps(config, indent=1).encode() + b"\n", 0o644),
        SEED: (f"{pipeline.new_seed() if seed is None else seed}\n".encode(), 0o600),
    }
    for name, content in {**project_files(), **course}.items():
        entries.setdefault(name, (content, 0o644))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            for name in sorted(entries):
                _entry(archive, name, *entries[name])
        os.chmod(tmp, 0o600)  # it holds the seed and the reference solutions
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Built(out, ids, sorted(entries), data, missing)
