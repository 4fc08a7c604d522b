"""The vocabulary of a rubric file: probes (what the sandbox observes) and checks (how it is judged).

A probe names a function of the assignment's ``probes.py`` (which runs in the sandbox, against the
student's namespace) and how its inputs are made. When grading, every probe draws its inputs from the
grading run's seed, so no scored observation is on inputs a student could know in advance. A student's
self-check (``grader check``) runs the public probes on fixed inputs instead — the lecture's own example
where the probe gives one (``example``), else inputs drawn from a fixed seed — which is what a student
kit publishes the reference's observations for. A check judges one probe's observation against the
reference's, in the trusted parent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .sandbox.records import Limits, Observation

PUBLIC, HIDDEN = "public", "hidden"
ANY_BEHAVIOUR = "*"
PUBLIC_INPUT_SEED = 20240101  # fixed: a self-check sees the same public inputs every time
GRADE, CHECK = "grade", "check"

__all__ = ["ANY_BEHAVIOUR", "Check", "Evidence", "Limits", "Probe", "Rubric", "Verdict", "failed", "passed"]


@dataclass(frozen=True)
class Probe:
    """``inputs``: a function of a NumPy generator returning the keyword arguments of ``function``
    (or a dict for a probe that takes none that matter); keys starting with "_" are for the judge alone and
    never enter the sandbox. ``example``: the fixed inputs of a self-check. ``self_check``: what a self-check
    changes in those inputs (a smaller training budget where a student waits for the answer); the reference's
    observations it is judged against are made with the same inputs."""

    name: str
    function: str
    inputs: dict | Callable[[np.random.Generator], dict] = field(default_factory=dict)
    hidden: bool = False
    example: dict | None = None
    self_check: Callable[[dict], dict] | None = None

    def make_inputs(self, seed: int, mode: str = GRADE) -> dict:
        if mode == CHECK and not self.hidden:
            if self.example is not None:
                return dict(self.example)
            drawn = self.inputs(np.random.default_rng(input_entropy(PUBLIC_INPUT_SEED, self.name))) \
                if callable(self.inputs) else dict(self.inputs)
            return self.self_check(drawn) if self.self_check is not None else drawn
        if not callable(self.inputs):
            return dict(self.inputs)
        return self.inputs(np.random.default_rng(input_entropy(seed, self.name)))

    @property
    def drawn(self) -> bool:
        """Whether graded inputs are drawn at random (unknown to a student in advance)."""
        return callable(self.inputs)


def input_entropy(seed: int, probe: str) -> int:
    """The 256-bit entropy a probe's inputs are drawn from: all of the run's seed goes in (a student who sees
    some drawn inputs cannot search a smaller space than the seed's own), hashed with the probe's name."""
    return int.from_bytes(hashlib.sha256(f"{seed}:inputs:{probe}".encode()).digest(), "big")


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
    # A check of what a notebook says about itself (its shapes, its layers, the operations it uses) is
    # credited only once one of these checks has passed, i.e. once behaviour on inputs it could not know
    # in advance is shown; ANY_BEHAVIOUR: any such check of the assignment (public ones, for a public check)
    requires: tuple[str, ...] = ()

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
    # the notebook's budget in a self-check, where a student waits for the answer (default: ``parameters``)
    self_check_parameters: dict | None = None
    data_files: tuple[str, ...] = ()  # names of data sets the sandbox needs read-only (e.g. "mnist")
    # what a student's page shows of a hidden check: "result" (its name, points and whether it passed) or
    # "message" too (the judges' messages never show a hidden expected value, but may show hidden inputs)
    hidden_feedback: str = "result"

    def __post_init__(self) -> None:
        if self.hidden_feedback not in ("result", "message"):
            raise ValueError(f"hidden_feedback must be 'result' or 'message', not {self.hidden_feedback!r}")
        names = {p.name for p in self.probes}
        for check in self.checks:
            if check.probe not in names:
                raise ValueError(f"check {check.name!r} uses unknown probe {check.probe!r}")
            probe = next(p for p in self.probes if p.name == check.probe)
            if probe.hidden and not check.hidden:
                raise ValueError(f"public check {check.name!r} cannot use hidden probe {probe.name!r}")
        if len({c.name for c in self.checks}) != len(self.checks):
            raise ValueError("check names must be unique")
        checks = {c.name: c for c in self.checks}
        probes = {p.name: p for p in self.probes}
        for check in self.checks:
            for needed in check.requires:
                if needed != ANY_BEHAVIOUR and needed not in checks:
                    raise ValueError(f"check {check.name!r} requires unknown check {needed!r}")
                if needed in checks and checks[needed].hidden and not check.hidden:
                    raise ValueError(f"public check {check.name!r} cannot require hidden check {needed!r}")
            if not probes[check.probe].drawn and not check.requires:
                raise ValueError(f"check {check.name!r} judges probe {check.probe!r}, whose inputs are fixed, so its "
                                 "answer could be known in advance: draw the inputs (inputs=, with example= for the "
                                 "self-check) or make the check require one that does (requires=)")

    def parameters_for(self, mode: str) -> dict:
        """The values injected into the notebook's parameter cell when grading (GRADE) or self-checking."""
        if mode == CHECK and self.self_check_parameters is not None:
            return self.self_check_parameters
        return self.parameters

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))

    def behaviour_checks(self, public: bool) -> list[str]:
        """Checks that judge behaviour on drawn inputs (and need nothing themselves): what ANY_BEHAVIOUR means."""
        drawn = {p.name for p in self.probes if p.drawn}
        return [c.name for c in self.checks if c.probe in drawn and not c.requires and not (public and c.hidden)]

    def checks_for(self, public_only: bool) -> list[Check]:
        return [c for c in self.checks if not (public_only and c.hidden)]

    def probes_for(self, checks: list[Check]) -> list[Probe]:
        wanted = {c.probe for c in checks}
        return [p for p in self.probes if p.name in wanted]
