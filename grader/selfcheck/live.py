"""``grader.check("forward_pass")`` in a notebook: judge the running kernel's namespace as it is now.

No file is saved or re-run. The public probes of the assignment run against the live namespace through
the sandbox runtime's own request handler (``grader/sandbox/child.py``, ``Session.probe``, loaded into
this process), with the probe requests grading builds (``Plan.job``: inputs wire-encoded, seeds derived
as in the sandbox); each answer is serialised to the JSON line a child would send and read back through
``grader.gate`` like any child's; the judges are ``judge_submission``'s; the reference is the plan's (the
observation cache, or a student kit's published observations). So the result differs from
``grader check FILE`` only by what the kernel holds: the cells as last run, with the student's own
budget instead of the grader's injected parameters.

Why not a sandbox: it is the student's own code in their own process, and the only reference values in
reach are the public checks' (the ones a kit publishes). Why not a copy of the namespace: the student's
functions read their globals from the namespace itself, so a probe that injects weights into a copy
would not reach them. The probes therefore run on the namespace, and everything they can change is put
back afterwards: the names bound in it, the values of the tf.Variables it holds (also inside Keras
models, layers and optimizers, and lists, tuples or dicts of them), Python's and NumPy's random states,
and ``sys.stdout``/``sys.stderr``. What cannot be put back: TensorFlow's global seed (set per probe, as
in the sandbox) and the internal state of other objects a probe makes student code change.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import random
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from .. import gate
from ..errors import HarnessError
from ..results import SubmissionResult
from ..sandbox import isolation, wire
from ..sandbox.records import Observation, Protections, RunRecord
from . import plans
from .report import CheckReport

LIVE_PATH = "(this kernel's current definitions)"
LIVE_NOTE = ("self-check of this Python process's live namespace: your code ran unsandboxed, in your own kernel "
             "(grading runs it in the sandbox)")


# --- the sandbox runtime, in this process ------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def runtime():
    """``grader/sandbox/child.py`` as a module of this process. It imports its sibling ``wire`` as a
    top-level module (it runs from its own folder in the sandbox), so that name is bound to
    ``grader.sandbox.wire`` for the import only, and the kernel's own ``wire`` (if any) is left alone."""
    spec = importlib.util.spec_from_file_location("grader.sandbox._live_child", isolation.RUNTIME_DIR / "child.py")
    module = importlib.util.module_from_spec(spec)
    missing = object()
    previous = sys.modules.get("wire", missing)
    sys.modules["wire"] = wire
    try:
        spec.loader.exec_module(module)
    finally:
        if previous is missing:
            sys.modules.pop("wire", None)
        else:
            sys.modules["wire"] = previous
    return module


class _Events:
    """Stands in for the child's event pipe: keeps the events of one request as the JSON lines it would write."""

    def __init__(self):
        self.lines: list[bytes] = []

    def emit(self, **event) -> None:
        try:
            self.lines.append(json.dumps(event, allow_nan=False, separators=(",", ":")).encode())
        except (TypeError, ValueError) as exc:  # what would kill the child's own emit: a malformed answer
            self.lines.append(json.dumps({"event": "malformed", "why": str(exc)[:200]}).encode())


def live_protections() -> Protections:
    return Protections(method="none", network_isolated=False, filesystem_isolated=False, unprivileged_user=False,
                       memory_limit_bytes=0, file_size_limit_bytes=0, notes=(LIVE_NOTE,))


def _variables_in(value: Any, depth: int = 0) -> list:
    """The TensorFlow/Keras variables a namespace value holds: itself, a Keras model/layer/optimizer's or a
    tf.Module's, or those in a list, tuple or dict of them (one level down)."""
    tf = sys.modules.get("tensorflow")
    keras = sys.modules.get("keras")
    kinds = tuple(k for k in (getattr(tf, "Variable", None), getattr(keras, "Variable", None)) if isinstance(k, type))
    if kinds and isinstance(value, kinds):
        return [value]
    holders = tuple(k for k in (getattr(tf, "Module", None), getattr(getattr(keras, "layers", None), "Layer", None),
                                getattr(getattr(keras, "optimizers", None), "Optimizer", None)) if isinstance(k, type))
    if holders and isinstance(value, holders):
        try:
            return list(value.variables)
        except Exception:
            return []
    if depth == 0 and isinstance(value, (list, tuple)):
        return [v for item in value[:1000] for v in _variables_in(item, 1)]
    if depth == 0 and isinstance(value, dict) and len(value) <= 1000:
        return [v for item in list(value.values()) for v in _variables_in(item, 1)]
    return []


@contextlib.contextmanager
def preserved(namespace: dict):
    """Put back what a probe run changes in ``namespace`` and in this process (see the module's docstring)."""
    names = dict(namespace)
    saved, seen = [], set()
    for value in names.values():
        for variable in _variables_in(value):
            if id(variable) not in seen:
                seen.add(id(variable))
                try:
                    saved.append((variable, variable.numpy().copy()))
                except Exception:
                    pass
    states = [random.getstate()]
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        states.append(numpy.random.get_state())
    streams = sys.stdout, sys.stderr
    try:
        yield
    finally:
        sys.stdout, sys.stderr = streams  # the runtime resets them to sys.__stdout__: not the notebook's
        for key in [k for k in namespace if k not in names]:
            del namespace[key]
        for key, value in names.items():
            if key not in namespace or namespace[key] is not value:
                namespace[key] = value
        for variable, value in saved:
            try:
                variable.assign(value)
            except Exception:
                pass
        random.setstate(states[0])
        if numpy is not None:
            numpy.random.set_state(states[1])


def observe(plan, namespace: dict, probe_names: set[str]) -> RunRecord:
    """The observations of ``probe_names`` on ``namespace``, as a run record like a sandboxed child's."""
    child = runtime()
    job = plan.job([])  # the requests grading sends: inputs without private keys, wire-encoded; derived seeds
    record = RunRecord(live_protections(), environment=_environment())
    budget = gate.TextBudget(job.limits.report_text_chars)
    events = _Events()
    session = child.Session(events)
    session.namespace = namespace
    started = time.monotonic()
    interrupted = False
    with preserved(namespace):
        session.probes = child.load_probes(job.probes_source)
        for request in job.probes:  # public probes first, as in the sandbox
            if request["name"] not in probe_names:
                continue
            ticket = secrets.token_hex(8)
            events.lines.clear()
            session.probe({"op": "probe", "ticket": ticket, **request})
            record.observations[request["name"]] = _through_gate(events.lines, ticket, budget, record)
            error = record.observations[request["name"]].error or {}
            if error.get("type") == "KeyboardInterrupt":  # the runtime records it; here it means stop
                interrupted = True
                break
    if interrupted:
        raise KeyboardInterrupt
    record.duration_s = round(time.monotonic() - started, 3)
    return record


def _through_gate(lines: list[bytes], ticket: str, budget: gate.TextBudget, record: RunRecord) -> Observation:
    """The one answer with this ticket, read as the channel reads a child's line (``gate.parse_line``,
    ``gate.conforms``), turned into an Observation by ``gate.observation``."""
    for line in lines:
        event = gate.parse_line(line)
        if event is None or not gate.conforms(event) or event["event"] != "observation" or event["ticket"] != ticket:
            record.rejected_lines += 1
            continue
        return gate.observation(event, budget)
    return Observation(ok=False, error={"type": "MalformedObservation", "traceback": "",
                                        "message": "the probe's answer could not be sent as JSON"})


def _environment() -> dict:
    versions = {name: getattr(sys.modules.get(name), "__version__", "not imported") for name in ("tensorflow", "keras")}
    return {"tensorflow_version": str(versions["tensorflow"]), "keras_version": str(versions["keras"]),
            "python_version": sys.version.split()[0], "import_seconds": 0.0}


# --- the check ----------------------------------------------------------------------------------------
def live_namespace(caller_globals: dict | None) -> dict:
    """IPython's user namespace when running in IPython, else the caller's globals."""
    shell = None
    if "IPython" in sys.modules:
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except Exception:
            shell = None
    if shell is not None and isinstance(getattr(shell, "user_ns", None), dict):
        return shell.user_ns
    if caller_globals is None:
        raise plans.SelfCheckError("no namespace to check: not in IPython, and no caller's globals were given")
    return caller_globals


def check_live(check: str | None = None, *, assignment: str | None = None, namespace: dict | None = None,
               caller_globals: dict | None = None) -> CheckReport:
    """Judge the public checks (or the one named ``check``) on the live namespace; see the module's docstring."""
    from .. import pipeline
    from ..datasets import DataSetMissing
    from ..submissions import Submission

    started = time.perf_counter()
    namespace = namespace if namespace is not None else live_namespace(caller_globals)
    assignment_id, how = plans.which_assignment(namespace, assignment, check)
    plan = plans.public_plan(assignment_id)
    asked = plans.chosen_checks(plan, check)
    harness_errors: list[str] = []
    try:
        result = _judged(plan, namespace, asked)
    except (HarnessError, DataSetMissing) as exc:  # the grader's trouble (no reference, no data set): no score
        harness_errors.append(str(exc))
        result = pipeline.ungraded_result(Submission("me", assignment_id, Path(LIVE_PATH)),
                                          str(exc).splitlines()[0], plan.assignment.rubric.max_score)
    except Exception as exc:  # a bug of the grader: say so, never a zero
        harness_errors.append(f"{type(exc).__name__}: {exc}")
        result = pipeline.ungraded_result(Submission("me", assignment_id, Path(LIVE_PATH)),
                                          f"internal grader error: {type(exc).__name__}: {exc}",
                                          plan.assignment.rubric.max_score)
    result.identified = how
    return CheckReport(result, harness_errors, round(time.perf_counter() - started, 3))


def _judged(plan, namespace: dict, asked: list) -> SubmissionResult:
    """``judge_submission`` of the asked checks, beside the checks their credit depends on; shown: the asked."""
    from ..judge.judge import judge_submission

    reference = plan.reference()
    judged, pending = plans.needed_with(plan, asked)

    def judge(checks: list) -> SubmissionResult:
        return judge_submission(plan.assignment.rubric, checks, record, reference, plan.inputs, student="me",
                                path=LIVE_PATH, probes_source=plan.assignment.probes_source,
                                template_names=plan.template_names())

    record = observe(plan, namespace, {c.probe for c in judged})
    result = judge(judged)
    waiting = plans.uncredited(plan, asked, result.tests)
    # a self-description waiting for evidence: look for it only if the description itself holds
    if pending and waiting and any(t.status == "passed" for t in judge(plans.without_requirements(waiting)).tests):
        for extra in pending:
            more = observe(plan, namespace, {extra.probe} - set(record.observations))
            record.observations.update(more.observations)
            record.duration_s = round(record.duration_s + more.duration_s, 3)
            judged = [c for c in plan.checks if c in judged or c is extra]
            result = judge(judged)
            if not plans.uncredited(plan, asked, result.tests):
                break
    shown = {c.name for c in asked}
    if len(shown) < len(result.tests):
        result.tests = [t for t in result.tests if t.name in shown]
        result.curves = [c for c in result.curves if c.check in shown]
        result.score = round(sum(t.score for t in result.tests), 2)
        result.max_score = round(sum(t.max_score for t in result.tests), 2)
    return result
