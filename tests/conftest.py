"""Shared fixtures: grade a file or a variant of a reference through the real pipeline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from grader import datasets, pipeline
from grader.results import SubmissionResult

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
EXAMPLES = ROOT / "examples" / "submissions"
SEED = 7


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Tests never read a reference cache left by an earlier run (but share one within the session)."""
    os.environ["GRADER_CACHE_DIR"] = str(tmp_path_factory.mktemp("reference-cache"))
    os.environ["GRADER_GRADEBOOK"] = str(tmp_path_factory.mktemp("gradebook") / "session.sqlite")
    os.environ["GRADER_NO_DAEMON"] = "1"  # `grader check` in tests runs in-process (test_selfcheck tests the checker)
    shared = ROOT.parent / "shared" / "data"
    if "GRADER_DATA_DIR" not in os.environ and (shared / "mnist.npz").is_file():
        os.environ["GRADER_DATA_DIR"] = str(shared)


@pytest.fixture(autouse=True)
def own_gradebook(tmp_path, monkeypatch):
    """Each test's `grader grade` records into a gradebook of its own (module fixtures share the session's)."""
    monkeypatch.setenv("GRADER_GRADEBOOK", str(tmp_path / "gradebook.sqlite"))


def skip_without_mnist() -> None:
    """Skip a test that needs MNIST when it is not on this machine; never download it during the tests."""
    try:
        datasets.locate("mnist", download=False)
    except datasets.DataSetMissing as exc:
        if os.environ.get("GRADER_REQUIRE_DATA") == "1":  # .ci/run found the copy: not finding it is a bug
            raise
        pytest.skip(f"MNIST is not available here (set GRADER_DATA_DIR to a folder holding mnist.npz): {exc}")


def variant(assignment: str, replacements: dict[str, str], tmp_path: Path, student: str = "student") -> Path:
    """The reference solution with some text replaced: a plausible student mistake."""
    source = (REFERENCE / f"{assignment}.py").read_text()
    for old, new in replacements.items():
        assert old in source, f"{old!r} not found in reference/{assignment}.py"
        source = source.replace(old, new)
    folder = tmp_path / "class" / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.py"
    path.write_text(source)
    return path


def grade_file(path: Path, seed: int = SEED, public_only: bool = False) -> SubmissionResult:
    """Grade one file through the same path as a class, in a class folder of its own."""
    root = path.parent.parent
    run = pipeline.grade(root, assignment=path.stem, seed=seed, public_only=public_only)
    [result] = [s for s in run.submissions if Path(s.path) == path]
    assert not run.harness_errors, run.harness_errors
    return result


def checks_by_name(result: SubmissionResult) -> dict:
    return {t.name: t for t in result.tests}


def failing(result: SubmissionResult) -> set[str]:
    return {t.name for t in result.tests if t.status != "passed"}


def copy_to_class(source: Path, tmp_path: Path, student: str, name: str | None = None) -> Path:
    folder = tmp_path / "class" / student
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    return target
