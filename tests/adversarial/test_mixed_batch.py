"""Every attack of this suite in one class next to one correct submission: the batch completes with exit
0, every attacker scores 0, and the correct submission's score, messages and report are exactly what it
gets when graded alone."""

from __future__ import annotations

import dataclasses
import json
import os
import re

import pytest

from attacks import (BREAK_TEXT, DEEP_TREE, FILL_DISKS, FORGE_EVENTS_AND_EXIT, FORGE_TIMER, FORK_BOMB, HUGE_HISTORY,
                     LEAK_SEED, LEAVE_TRACES, LOOK_FOR_TRACES, MANY_CELLS, MARKER, MEMORY_ACROSS_PROCESSES, PRIVILEGE,
                     SCAN_MEMORY, WALK_OBJECTS, correct_xor, replace_probe_runner, write_submission)
from grader import assignments, student_kit
from grader.cli import main
from grader.writers.files import ReportNames

SEED = 424_242


@pytest.fixture
def quick_xor(monkeypatch):
    """The XOR rubric with a 15 s cell limit, so that the looping attacks cost 15 s, not 90."""
    original = assignments.load

    def load(assignment_id):
        loaded = original(assignment_id)
        if assignment_id != "xor":
            return loaded
        limits = dataclasses.replace(loaded.rubric.limits, cell_s=15)
        return dataclasses.replace(loaded, rubric=dataclasses.replace(loaded.rubric, limits=limits))

    monkeypatch.setattr(assignments, "load", load)


def essentials(data: dict, student: str) -> dict:
    sub = next(s for s in data["submissions"] if s["student"] == student)
    return {"score": sub["score"], "status": sub["status"], "message": sub["message"],
            "tests": [(t["name"], t["status"], t["score"], t["message"]) for t in sub["tests"]],
            "cells": [(c["label"], c["status"], c["output"], c["message"]) for c in sub["cells"]]}


def page(out, student: str) -> str:
    text = (out / ReportNames([student]).page(student, "xor")).read_text()
    text = text.replace(str(out.parent / "alone"), "CLASS").replace(str(out.parent / "batch"), "CLASS")
    return re.sub(r"\d+\.\d+ s", "", text.split("\n", 1)[1])  # durations differ run to run, nothing else may


@pytest.mark.slow  # every attack of the suite in one batch (~2 min); .ci/run runs it with -m slow
def test_one_correct_submission_among_every_attack(tmp_path, quick_xor):
    kit = tmp_path / "kit"
    student_kit.write(kit, ["xor"])
    published = json.loads((kit / "assignments" / "xor" / student_kit.PUBLISHED).read_text())["record"]
    alone, batch = tmp_path / "alone", tmp_path / "batch"
    correct_xor(alone, "ada")
    correct_xor(batch, "ada")
    attacks = {
        "scan-memory": [SCAN_MEMORY], "walk-objects": [WALK_OBJECTS], "forge-and-exit": [FORGE_EVENTS_AND_EXIT],
        "kit-forger": [replace_probe_runner(published["observations"])], "seed-leak": [LEAK_SEED],
        "timer-forger": [FORGE_TIMER], "breaks-text": [BREAK_TEXT], "huge-history": [HUGE_HISTORY],
        "deep-tree": [DEEP_TREE], "many-cells": MANY_CELLS, "fork-bomb": [FORK_BOMB],
        "memory": [MEMORY_ACROSS_PROCESSES.replace("SHARE", str(1500 * 1024**2)).replace("COUNT", "4")],
        "fill-disks": [FILL_DISKS], "leaves-traces": [LEAVE_TRACES], "looks-for-traces": [LOOK_FOR_TRACES],
        "privilege": [PRIVILEGE], "index.html": ["x = 1"], "\x1b[2JJane Doe": ["x = 1"], "Jane_Doe-01332c": ["x = 1"],
    }
    for student, cells in attacks.items():
        write_submission(batch, student, cells)
    (batch / "fifo").mkdir()
    os.mkfifo(batch / "fifo" / "xor.ipynb")
    for folder in (alone, batch):
        assert main(["grade", str(folder), "--out", str(tmp_path / f"out-{folder.name}"), "--seed", str(SEED),
                     "--jobs", "2"]) == 0
    out_alone, out_batch = tmp_path / "out-alone", tmp_path / "out-batch"
    data_alone = json.loads((out_alone / "results.json").read_text())
    data_batch = json.loads((out_batch / "results.json").read_text())
    assert essentials(data_batch, "ada") == essentials(data_alone, "ada")
    assert essentials(data_alone, "ada")["score"] == 22
    assert page(out_batch, "ada") == page(out_alone, "ada")
    for sub in data_batch["submissions"]:
        if sub["student"] != "ada":
            assert sub["score"] == 0, (sub["student"], [(t["name"], t["message"]) for t in sub["tests"] if t["score"]])
            assert MARKER not in json.dumps(sub)  # nothing of ada's reached anyone else
