"""Installed as students and TAs install it (a wheel, not an editable checkout): the grader has no course of
its own, finds one (--course, GRADER_COURSE_DIR, the current directory) or says in one line how to point at one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

from conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp / "wheel"), str(ROOT)], check=True)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies (TensorFlow...) from this test environment, without its editable grader: a .pth line
    # adds the folder but the .pth files inside it (the editable install's finder) are not read
    with open(os.path.join(site, "test-dependencies.pth"), "w") as handle:
        handle.write(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next((tmp / "wheel").glob("nn_grader-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True)
    located = subprocess.run([str(python), "-c", "import grader; print(grader.__file__)"], capture_output=True,
                             text=True, cwd=tmp, check=True).stdout
    assert located.startswith(str(venv)), located  # the installed copy, not this checkout
    return venv / "bin" / "grader", tmp


def run(grader, *args, cwd, env=None):
    # nbconvert's templates, which a real install puts in the venv's share/jupyter, are the test environment's
    templates = os.path.join(sys.prefix, "share", "jupyter")
    environment = {k: v for k, v in os.environ.items() if k != "GRADER_COURSE_DIR"} | {"JUPYTER_PATH": templates}
    environment |= env or {}
    return subprocess.run([str(grader), *args], capture_output=True, text=True, cwd=cwd, env=environment, timeout=600)


@pytest.mark.slow
def test_a_regular_install_says_in_one_line_that_it_has_no_course(installed):
    grader, tmp = installed
    done = run(grader, "list", cwd=tmp)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "no course found" in done.stderr and "--course" in done.stderr
    done = run(grader, "check", str(EXAMPLES / "ada" / "xor.ipynb"), "--assignment", "xor", cwd=tmp)
    assert done.returncode == 2 and "no course found" in done.stderr


@pytest.mark.slow
def test_a_regular_install_finds_the_course_three_ways_and_grades(installed):
    grader, tmp = installed
    assert "xor:" in run(grader, "list", "--course", str(ROOT), cwd=tmp).stdout
    assert "xor:" in run(grader, "list", cwd=tmp, env={"GRADER_COURSE_DIR": str(ROOT)}).stdout
    course = tmp / "course"
    shutil.copytree(ROOT / "assignments", course / "assignments", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "reference", course / "reference")
    shutil.copytree(EXAMPLES, course / "submissions")
    done = run(grader, "grade", "submissions", "--assignment", "gradient_descent", cwd=course,
               env={"GRADER_GRADEBOOK": ""})
    assert done.returncode == 0, done.stderr
    assert "3 submissions (3 graded)" in done.stdout and (course / "gradebook.sqlite").is_file()
