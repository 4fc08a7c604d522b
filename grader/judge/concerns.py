"""Which cell of a notebook each check is about, so that the student's page shows the check's feedback
next to that cell: the notebook names a probe works with (the strings it passes to ``require`` and the
like, read from probes.py without running it, plus the function or value named in its inputs), and the
cell that defines the last of them."""

from __future__ import annotations

import ast
import functools

from .causes import defined_names


@functools.lru_cache(maxsize=32)
def probe_names(probes_source: str) -> dict[str, frozenset[str]]:
    """For each probe function of ``probes_source``: the identifier-like strings it (or a helper it calls,
    or a module-level constant it reads) mentions — the names of the notebook it observes."""
    try:
        tree = ast.parse(probes_source)
    except SyntaxError:
        return {}
    constants: dict[str, set[str]] = {}
    functions: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions[node.name] = node
        elif isinstance(node, ast.Assign):
            strings = {n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = {s for s in strings if s.isidentifier()}

    def mentions(name: str, seen: frozenset) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                found.add(node.value)
            elif isinstance(node, ast.Name) and node.id in constants:
                found |= constants[node.id]
            elif isinstance(node, ast.Name) and node.id in functions and node.id not in seen:
                found |= mentions(node.id, seen | {node.id})
        return found

    return {name: frozenset(mentions(name, frozenset({name}))) for name in functions}


def cell_of(names: set[str], sources: dict[int, str]) -> int | None:
    """The code cell that defines the last of ``names`` (None if the notebook defines none of them)."""
    found = [index for index, source in sources.items() if index > 0 and defined_names(source) & names]
    return max(found) if found else None


def names_for(probes_source: str, function: str, inputs: dict) -> set[str]:
    names = set(probe_names(probes_source).get(function, ()))
    for key in ("function", "name"):
        if isinstance(inputs.get(key), str):
            names.add(inputs[key])
    return names
