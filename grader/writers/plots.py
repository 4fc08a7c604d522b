"""Figures for the HTML reports, drawn with matplotlib (Agg) and embedded as PNG data URIs."""

from __future__ import annotations

import base64
import io
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..results import Curve, GradingRun  # noqa: E402


def _data_uri(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def curve_image(curve: Curve) -> str:
    figure, axes = plt.subplots(figsize=(6.4, 3.4))
    for label, values in curve.series.items():
        if any(v is not None for v in values):
            axes.plot(range(1, len(values) + 1), [float("nan") if v is None else v for v in values],
                      label=label, linewidth=1.4)
    if curve.log_y and any(v > 0 for vs in curve.series.values() for v in vs if v is not None):
        axes.set_yscale("log")
    axes.set(title=curve.title, xlabel=curve.xlabel, ylabel=curve.ylabel)
    axes.title.set_fontsize(10)
    axes.grid(alpha=0.3)
    if len(curve.series) > 1:
        axes.legend(fontsize=8)
    return _data_uri(figure)


def score_distribution(run: GradingRun) -> str | None:
    by_assignment: dict[str, list[float]] = defaultdict(list)
    for sub in run.submissions:
        if sub.max_score:
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
