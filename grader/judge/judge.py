"""Trusted side: turn a submission's observations into points, by comparison with the reference's."""

from __future__ import annotations

import dataclasses

from ..datasets import DataSetMissing
from ..errors import BrokenReference
from ..notebook import cell_label
from ..rubric import ANY_BEHAVIOUR, Check, Evidence, Rubric
from ..results import CellReport, Curve, SubmissionResult, TestResult
from ..sandbox.runner import RunRecord
from .causes import Causes, explain_cell_error, explain_probe_error
from .concerns import cell_of, names_for
from .hints import hint_for

STATUS_OF_RUN = {"completed": "graded", "timeout": "timeout", "crashed": "crashed"}


def judge_submission(rubric: Rubric, checks: list[Check], record: RunRecord, reference: RunRecord,
                     inputs: dict[str, dict], *, student: str, path: str,
                     notes: list[str] = (), cell_order: list[int] = (),
                     sources: dict[int, str] | None = None, probes_source: str = "",
                     template_names: frozenset[str] = frozenset()) -> SubmissionResult:
    position = {index: i for i, index in enumerate(cell_order)}
    ordered = sorted(record.cells.values(), key=lambda c: (position.get(c.index, len(position)), c.index))
    cells = [cell_report(c) for c in ordered]
    causes = Causes(cells, dict(sources or {}))
    for cell in cells:
        cell.cause = explain_cell_error(cell, causes)
        if cell.cause:
            cell.hint = ""  # the hint belongs to the cell where it went wrong
    judged: dict[str, tuple[TestResult, list[Curve]]] = {}
    functions = {p.name: p.function for p in rubric.probes}
    # public checks first, so that a hidden check meeting the same cause can point to the public one
    for check in sorted(checks, key=lambda c: c.hidden):
        names = names_for(probes_source, functions[check.probe], inputs.get(check.probe, {}))
        test, check_curves = judge_check(check, record, reference, inputs.get(check.probe, {}), causes, names)
        test.cell = cell_of(names & template_names if template_names else names, causes.sources)
        test.private = check.hidden and rubric.hidden_feedback == "result"
        judged[check.name] = test, check_curves
    tests = [judged[check.name][0] for check in checks]
    curves = [curve for check in checks for curve in judged[check.name][1]]
    tests = credit_self_descriptions(rubric, checks, tests)
    score = round(sum(t.score for t in tests), 2)
    max_score = round(sum(t.max_score for t in tests), 2)
    return SubmissionResult(
        student=student, assignment=rubric.assignment, path=path,
        status=STATUS_OF_RUN[record.status], score=score, max_score=max_score,
        duration_s=record.duration_s, message=summary(record, cells, list(notes)), tests=tests,
        cells=cells, curves=curves, process_output=record.process_output,
        protections=record.protections.to_dict(), cached=record.cached, peak_rss_kb=record.peak_rss_kb,
        environment=dict(record.environment),
    )


def judge_check(check: Check, record: RunRecord, reference: RunRecord, inputs: dict,
                causes: Causes, names: set[str] = frozenset()) -> tuple[TestResult, list[Curve]]:
    expected = reference.observations.get(check.probe)
    if expected is None or not expected.ok:
        detail = expected.error.get("message") if expected and expected.error else "not observed"
        raise BrokenReference(f"reference failed probe {check.probe!r} of {check.name!r}: {detail}")

    def result(status: str, fraction: float, message: str) -> TestResult:
        return TestResult(
            name=check.name, score=round(check.points * fraction, 2), max_score=float(check.points),
            status=status, visibility=check.visibility, message=message,
            description=check.description, hint="" if status == "passed" else check.hint)

    observed = record.observations.get(check.probe)
    if observed is None:
        return result("error", 0.0, not_observed(record)), []
    if not observed.ok:
        message, hint, _ = explain_probe_error(check.name, check.hint, observed.error or {}, causes, check.hidden,
                                             names)
        return dataclasses.replace(result("error", 0.0, message), hint=hint), []
    try:
        verdict = check.judge(Evidence(observed, expected, inputs, check.hidden))
    except (DataSetMissing, BrokenReference):
        raise  # the grader's problem, never the student's
    except Exception as exc:  # the observation had a shape the judge could not even read
        return result("failed", 0.0, f"the observed value could not be judged ({type(exc).__name__}: "
                                     f"{exc}); does it have the type the template asks for?"), []
    status = "passed" if verdict.passed else "failed"
    curves = [dataclasses.replace(c, check=check.name) for c in verdict.curves]
    return result(status, min(1.0, max(0.0, verdict.fraction)), verdict.message), curves


def credit_self_descriptions(rubric: Rubric, checks: list[Check], tests: list[TestResult]) -> list[TestResult]:
    """What a notebook says about itself (its shapes, its layers, the operations it uses) earns its points only
    once behaviour on inputs it could not know is shown (``Check.requires``): a passing self-description
    without it is kept as feedback, with no points."""
    passed = {t.name for t in tests if t.status == "passed"}
    credited = []
    for check, test in zip(checks, tests):
        wanted = [n for name in check.requires
                  for n in (rubric.behaviour_checks(not check.hidden) if name == ANY_BEHAVIOUR else [name])]
        if test.status == "passed" and wanted and not passed & set(wanted):
            what = "any of its behaviour checks" if ANY_BEHAVIOUR in check.requires else " or ".join(wanted)
            test = dataclasses.replace(test, score=0.0, status="failed", message=(
                f"{test.message} — not credited yet: what a notebook declares about itself counts once "
                f"{what} passes"))
        credited.append(test)
    return credited


def not_observed(record: RunRecord) -> str:
    if record.incidents:
        return "not observed: " + record.incidents[-1].message
    return "not observed: the submission's process ended before this check could run"


def cell_report(cell) -> CellReport:
    error = cell.error or {}
    return CellReport(
        index=cell.index, label=cell_label(cell.index), status=cell.status, seconds=cell.seconds,
        output=cell.output, error_type=error.get("type", ""), message=error.get("message", ""),
        traceback=error.get("traceback", ""), hint=hint_for(error) if error else "",
        magics=list(cell.magics),
    )


def summary(record: RunRecord, cells: list[CellReport], notes: list[str]) -> str:
    parts = [i.message[0].upper() + i.message[1:] for i in record.incidents]
    errored = [c.label for c in cells if c.status == "error"]
    if errored:
        parts.append(f"{len(errored)} cell(s) raised an error: {', '.join(errored)}")
    magics = sum(len(c.magics) for c in cells)
    if magics:
        parts.append(f"{magics} IPython magic/shell line(s) were not executed")
    if record.rejected_lines:
        parts.append(f"{record.rejected_lines} malformed line(s) on the observation channel were ignored")
    parts.extend(notes)
    return "; ".join(parts) if parts else "ran cleanly"
