"""The vocabulary of a rubric file: probes (what the sandbox observes) and checks (how it is judged).

A probe names a function of the assignment's ``probes.py`` (which runs in the sandbox, against the
student's namespace) and the inputs it is called with. Hidden probes draw fresh inputs from the
grading run's seed; public probes use fixed inputs so a student's self-check sees what the grader sees.
A check judges one probe's observation against the reference's, in the trusted parent.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .sandbox.runner import Limits, Observation

PUBLIC, HIDDEN = "public", "hidden"
PUBLIC_INPUT_SEED = 20240101  # fixed: public checks see the same inputs in every run


@dataclass(frozen=True)
class Probe:
    name: str
    function: str
    inputs: dict | Callable[[np.random.Generator], dict] = field(default_factory=dict)
    hidden: bool = False

    def make_inputs(self, seed: int) -> dict:
        if not callable(self.inputs):
            return dict(self.inputs)
        base = seed if self.hidden else PUBLIC_INPUT_SEED
        return self.inputs(np.random.default_rng([base % 2**32, zlib.crc32(self.name.encode())]))


@dataclass(frozen=True)
class Verdict:
    """What a check concluded. ``fraction`` of the points is awarded."""

    fraction: float
    message: str
    curves: tuple = ()

    @property
    def passed(self) -> bool:
        return self.fraction >= 1.0


def passed(message: str = "", curves: tuple = ()) -> Verdict:
    return Verdict(1.0, message, curves)


def failed(message: str, fraction: float = 0.0, curves: tuple = ()) -> Verdict:
    return Verdict(fraction, message, curves)


@dataclass
class Evidence:
    """Everything a check may look at: both observations, the probe's inputs, the visibility."""

    student: Observation
    reference: Observation
    inputs: dict
    hidden: bool

    @property
    def got(self) -> Any:
        return self.student.value

    @property
    def expected(self) -> Any:
        return self.reference.value


@dataclass(frozen=True)
class Check:
    name: str
    points: float
    probe: str
    judge: Callable[[Evidence], Verdict]
    description: str
    hint: str = ""
    hidden: bool = False

    @property
    def visibility(self) -> str:
        return HIDDEN if self.hidden else PUBLIC


@dataclass(frozen=True)
class Rubric:
    assignment: str
    title: str
    lecture: str
    probes: tuple[Probe, ...]
    checks: tuple[Check, ...]
    parameters: dict = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    data_files: tuple[str, ...] = ()  # names of data sets the sandbox needs read-only (e.g. "mnist")

    def __post_init__(self) -> None:
        names = {p.name for p in self.probes}
        for check in self.checks:
            if check.probe not in names:
                raise ValueError(f"check {check.name!r} uses unknown probe {check.probe!r}")
            probe = next(p for p in self.probes if p.name == check.probe)
            if probe.hidden and not check.hidden:
                raise ValueError(f"public check {check.name!r} cannot use hidden probe {probe.name!r}")
        if len({c.name for c in self.checks}) != len(self.checks):
            raise ValueError("check names must be unique")

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))

    def checks_for(self, public_only: bool) -> list[Check]:
        return [c for c in self.checks if not (public_only and c.hidden)]

    def probes_for(self, checks: list[Check]) -> list[Probe]:
        wanted = {c.probe for c in checks}
        return [p for p in self.probes if p.name in wanted]
