"""Figures for the HTML reports, drawn with matplotlib (Agg) and embedded as PNG data URIs."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import threading
from collections import OrderedDict, defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..results import Curve  # noqa: E402


def _data_uri(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


PLOT_LIMIT = 1e12  # values beyond are drawn at the edge: matplotlib cannot lay out axes up to 1e308


def plottable(values) -> list[float]:
    out = []
    for v in values:
        try:
            v = float(v)
        except (TypeError, ValueError):
            v = float("nan")
        out.append(max(-PLOT_LIMIT, min(PLOT_LIMIT, v)) if v == v else float("nan"))
    return out


DRAWING = threading.Lock()  # pyplot is one state machine: pages written from several threads draw in turn
_DRAWN: "OrderedDict[str, str | None]" = OrderedDict()  # the same curve on the instructor's and student's page


def curve_image(curve: Curve) -> str | None:
    """The curve as a PNG data URI, or None if it cannot be drawn (the page says so instead)."""
    key = json.dumps(dataclasses.asdict(curve), sort_keys=True, default=str)
    with DRAWING:
        if key in _DRAWN:
            return _DRAWN[key]
        try:
            image = _curve_image(curve)
        except Exception:
            plt.close("all")
            image = None
        _DRAWN[key] = image
        while len(_DRAWN) > 64:
            _DRAWN.popitem(last=False)
        return image


COLOURS = ("#1f6fb4", "#d1495b", "#2a9d5c", "#8e5cc4", "#e08e0b", "#16a3b8", "#6b4f2a", "#c2549b")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _is_reference(label: str) -> bool:
    return label.lower().startswith("reference")


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all((x is None and y is None) or (x is not None and y is not None and
                                     abs(x - y) <= 1e-9 * max(1.0, abs(y))) for x, y in zip(a, b))


def _curve_image(curve: Curve) -> str:
    """Every series visible: the reference dashed and grey underneath, each of the student's in its own
    colour, line style and markers on top (so a curve equal to the reference still shows); a series the
    submission reported about itself is dotted and says so."""
    figure, axes = plt.subplots(figsize=(10.5, 3.8))
    references = {label: values for label, values in curve.series.items() if _is_reference(label)}
    ordered = sorted(curve.series.items(), key=lambda item: not _is_reference(item[0]))
    drawn = 0
    for label, values in ordered:
        if not any(v is not None for v in values):
            continue
        xs = curve.x if curve.x is not None and len(curve.x) == len(values) else list(range(1, len(values) + 1))
        ys = plottable(float("nan") if v is None else v for v in values)
        if _is_reference(label):
            style = dict(color="0.45", linestyle="--", linewidth=2.6, zorder=2)
        else:
            style = dict(color=COLOURS[drawn % len(COLOURS)], marker=MARKERS[drawn % len(MARKERS)], markersize=4.5,
                         markevery=max(1, len(values) // 15), linewidth=1.6, zorder=3,
                         linestyle=":" if curve.reported else ("-", "-.", (0, (5, 1)))[drawn % 3])
            if any(_same(values, ref) for ref in references.values()):
                label += " (the same as the reference)"
            drawn += 1
        axes.plot(xs, ys, label=label, **style)
    if curve.log_y and any(v > 0 for vs in curve.series.values() for v in vs if v is not None):
        axes.set_yscale("log")
    title = curve.title + ("\n(as reported by the submission itself: shown, not scored)" if curve.reported else "")
    axes.set(title=title, xlabel=curve.xlabel, ylabel=curve.ylabel)
    axes.title.set_fontsize(11)
    axes.grid(alpha=0.3)
    if len(curve.series) > 1:
        axes.legend(fontsize=9, loc="best")
    return _data_uri(figure)


def score_distribution(results) -> str | None:
    """A stacked histogram of the given results' scores (a run's, or the gradebook's current grades)."""
    with DRAWING:
        try:
            return _score_distribution(list(results))
        except Exception:
            plt.close("all")
            return None


def _score_distribution(results) -> str | None:
    by_assignment: dict[str, list[float]] = defaultdict(list)
    for sub in results:
        if sub.max_score and sub.score is not None:  # an ungraded submission has no score to count
            by_assignment[sub.assignment].append(100.0 * sub.score / sub.max_score)
    if not by_assignment:
        return None
    figure, axes = plt.subplots(figsize=(6.4, 3.2))
    axes.hist(list(by_assignment.values()), bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001],
              label=list(by_assignment), stacked=True)
    axes.set(title="Score distribution", xlabel="score (% of the assignment's points)", ylabel="submissions")
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    return _data_uri(figure)
