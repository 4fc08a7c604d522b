"""One cause, one message: when a check cannot run because something it needs failed elsewhere (a name
that a broken cell should have defined, a function that already failed the same way in an earlier check),
it says so in one line and points there; the traceback and the hint stay where the error happened."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..results import CellReport
from .hints import hint_for

MISSING_NAME = re.compile(r"name '(\w+)' is not defined|^(\w+) is not defined")
RETURNED_NONE = re.compile(r"^(\w+)\(.*?\) returned None: not implemented")
NOT_IMPLEMENTED = re.compile(r"returned None|is None\b|'NoneType' object is not (callable|subscriptable|iterable)|"
                             r"NoneType")


SHAPE = re.compile(r"[(\[](?:None|\d+)(?:,\s*(?:None|\d+))*,?\s*[)\]]")  # (None, 28, 28), [None, 10]


def mentions_none(message: str) -> bool:
    """Whether an error is about a None value (not a shape with an unknown batch size such as (None, 784))."""
    return re.search(r"NoneType|\bNone\b", SHAPE.sub("", message)) is not None


def defined_names(source: str) -> set[str]:
    """Names a cell binds at its top level (functions, classes, assignments, imports)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a broken cell: what it was meant to define, by a plain look at the text
        return {a or b for a, b in re.findall(r"^\s*def\s+(\w+)|^(\w+)\s*=", source, re.M)}
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def functions_used(source: str) -> dict[str, set[str]]:
    """For each top-level function of a cell: the names its body reads."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    return {node.name: {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


@dataclass
class Causes:
    """What this submission's cells define and where they failed, and the errors already reported."""

    cells: list[CellReport]
    sources: dict[int, str] = field(default_factory=dict)
    first_seen: dict[tuple, str] = field(default_factory=dict)  # normalised error -> check that showed it
    not_implemented: dict[str, tuple[str, bool]] = field(default_factory=dict)  # function -> (check, hidden)

    def reachable(self, names: set[str]) -> set[str]:
        """``names`` and every notebook function they call, directly or not (read from the cells' code)."""
        calls: dict[str, set[str]] = {}
        for source in self.sources.values():
            calls.update(functions_used(source))
        found, todo = set(names), list(names)
        while todo:
            for used in calls.get(todo.pop(), ()):
                if used not in found:
                    found.add(used)
                    todo.append(used)
        return found

    def definer(self, name: str) -> int | None:
        for index in sorted(self.sources):
            if name in defined_names(self.sources[index]):
                return index
        return None

    def broken_definer(self, name: str) -> CellReport | None:
        index = self.definer(name)
        for cell in self.cells:
            if cell.index == index and cell.status != "ok":
                return cell
        return None

    def cell_hints(self) -> set[str]:
        return {c.hint for c in self.cells if c.hint}


def _key(error: dict) -> tuple:
    message = re.sub(r"\d+", "#", str(error.get("message", "")).splitlines()[0] if error.get("message") else "")
    return error.get("type", ""), message[:200]


def _what_failed(cell: CellReport) -> str:
    return f"raised {cell.error_type}" if cell.error_type else {"timeout": "timed out", "crashed": "crashed"}.get(
        cell.status, cell.status)


def explain_probe_error(check_name: str, check_hint: str, error: dict, causes: Causes,
                        hidden: bool = False, names: set[str] = frozenset()) -> tuple[str, str, bool]:
    """(message, hint, root): the check's message for a probe that failed, the hint to show with it, and
    whether this check is where the cause is reported (False: it points to where it is). ``names``: the
    notebook names the check's probe works with."""
    kind, message = error.get("type", "Error"), str(error.get("message", ""))
    blank = RETURNED_NONE.match(message) if kind == "ProbeError" else None
    if blank is not None or mentions_none(message):
        used = {blank.group(1)} if blank is not None else causes.reachable(set(names))
        for function, (where, where_hidden) in causes.not_implemented.items():
            if function in used:  # a None from a function already found blank: that is the cause
                see = f" (see check {where})" if hidden or not where_hidden else ""
                return f"not checked: needs {function}(), which returned None: not implemented yet{see}", "", False
    missing = MISSING_NAME.search(message)
    if missing:
        name = missing.group(1) or missing.group(2)
        cell = causes.broken_definer(name)
        if cell is not None:
            return (f"not checked: needs {name}, which {cell.label} should define but it {_what_failed(cell)} "
                    f"(see {cell.label})", "", False)
        if causes.definer(name) is None:
            return f"{name} is not defined: the template asks for it (not written yet?)", check_hint, True
    if blank is not None:
        causes.not_implemented.setdefault(blank.group(1), (check_name, hidden))
    key = _key(error)
    if key in causes.first_seen:  # a public check only ever points to a public one (a self-check has no other)
        return (f"not checked: the same error as in check {causes.first_seen[key]} ({kind}; see there)", "", False)
    if not hidden:
        causes.first_seen[key] = check_name
    text = message if kind in ("ProbeError", "Timeout", "ProcessDied") else f"{kind}: {message}"
    hint = "" if kind == "ProbeError" else hint_for(error)  # a probe's own message is already specific
    if kind != "ProbeError" and not hint and NOT_IMPLEMENTED.search(message) and "not implemented" not in text:
        text += " (a function that returns None: not implemented yet?)"
    shown = next((c for c in causes.cells if hint and c.hint == hint), None)
    if shown is not None:  # already shown with the cell where it happened first
        return f"{text} (the same error as in {shown.label}: see the hint there)", "", True
    return text, hint or check_hint, True


def explain_cell_error(cell: CellReport, causes: Causes) -> str:
    """A cell that fails only because an earlier cell did: say so (its own traceback is kept)."""
    missing = MISSING_NAME.search(cell.message or "")
    if not missing:
        return ""
    name = missing.group(1) or missing.group(2)
    earlier = causes.broken_definer(name)
    if earlier is not None and earlier.index != cell.index:
        return f"{name} comes from {earlier.label}, which {_what_failed(earlier)}: fix that cell first (see {earlier.label})"
    return ""

