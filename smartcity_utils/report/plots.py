"""Figures for reports: pillar profiles, cohort trajectories, score distributions.

Every function builds a :class:`matplotlib.figure.Figure` directly (no
``pyplot``): nothing depends on a display or on global figure state, so the
functions are safe under the Agg backend, in notebooks and in papermill runs.
They return the figure and never show it.

Only a handful of published scores are real; everything else the workspace
ships is simulated. Every function therefore takes ``simulated`` and, when it
is True, stamps the figure with :data:`SIMULATED_MARKER` via
:func:`mark_simulated`, so that a figure cannot be mistaken for official scores
once it is cut out of its report.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from smartcity_utils.analysis.cohorts import measure_values
from smartcity_utils.analysis.index import load_pillars

SIMULATED_MARKER = "SIMULATED DATA — not official scores"


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _register_notebook_display() -> None:
    """Show figures as images in notebooks and HTML reports.

    The figures here are built without pyplot (safe in workers and tests), so
    IPython's inline backend never learns about them; register a PNG
    formatter for ``Figure`` when running inside a kernel.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the kernel only
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, _png)


_register_notebook_display()
_MARKER_GID = "simulated-marker"
SCORE_RANGE = (0.0, 4.0)


def mark_simulated(fig: Figure) -> Figure:
    """Stamp ``fig`` with the simulated-data marker (idempotent).

    Adds a large, rotated, semi-transparent watermark across the figure and a
    red banner line at the top, both reading :data:`SIMULATED_MARKER`.

    Args:
        fig: The figure to mark.

    Returns:
        The same figure.
    """
    if any(t.get_gid() == _MARKER_GID for t in fig.texts):
        return fig
    fig.text(0.5, 0.5, SIMULATED_MARKER, ha="center", va="center", rotation=25, fontsize=26,
             color="red", alpha=0.18, weight="bold", zorder=1000, gid=_MARKER_GID)
    fig.text(0.5, 0.995, SIMULATED_MARKER, ha="center", va="top", fontsize=11, color="white",
             weight="bold", gid=_MARKER_GID,
             bbox={"boxstyle": "square,pad=0.3", "facecolor": "red", "edgecolor": "none"})
    return fig


def _finish(fig: Figure, title: str | None, simulated: bool) -> Figure:
    if simulated:
        # The layout engine makes room for a suptitle but not for figure texts:
        # an empty first suptitle line keeps the banner's strip free.
        fig.suptitle("\n" + (title or ""))
        mark_simulated(fig)
    elif title:
        fig.suptitle(title)
    return fig


def _pillar_labels(keys: Sequence[str]) -> list[str]:
    names = load_pillars().set_index("pillar_key")["pillar"]
    return [names.get(k, k) for k in keys]


def _as_series(values: Mapping[str, float] | pd.Series, keys: Sequence[str]) -> np.ndarray:
    s = pd.Series(dict(values)) if not isinstance(values, pd.Series) else values
    return np.array([float(s.get(k, np.nan)) for k in keys])


def pillar_profile(
    focus_row: Mapping[str, float] | pd.Series,
    cohort_median: Mapping[str, float] | pd.Series,
    national_median: Mapping[str, float] | pd.Series | None = None,
    title: str | None = None,
    simulated: bool = True,
    focus_label: str | None = None,
    cohort_label: str = "cohort median",
) -> Figure:
    """Dot chart of the six pillar scores: focus regency against its cohort.

    A dot chart rather than a radar: the scores are read on one common axis
    and the gap to the cohort median is a visible segment.

    Args:
        focus_row: Pillar scores of the focus regency (a ``regency_year`` row
            or a mapping ``{pillar_key: score}``; ``regency`` used as label).
        cohort_median: Cohort median per pillar key.
        national_median: Optional national median per pillar key.
        title: Figure title.
        simulated: Stamp the simulated-data marker.
        focus_label: Legend label of the focus (default: its ``regency``).
        cohort_label: Legend label of the cohort median.

    Returns:
        The figure.
    """
    keys = load_pillars()["pillar_key"].tolist()
    focus = _as_series(focus_row, keys)
    cohort = _as_series(cohort_median, keys)
    if focus_label is None:
        focus_label = str(dict(focus_row).get("regency", "focus regency"))
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(keys))[::-1]
    ax.hlines(y, np.fmin(focus, cohort), np.fmax(focus, cohort), color="0.7", lw=3, zorder=1)
    ax.scatter(cohort, y, marker="|", s=300, color="tab:gray", label=cohort_label, zorder=2)
    if national_median is not None:
        national = _as_series(national_median, keys)
        ax.scatter(national, y, marker="D", s=30, facecolor="none", edgecolor="black",
                   label="national median", zorder=2)
    ax.scatter(focus, y, s=70, color="tab:blue", label=focus_label, zorder=3)
    ax.set_yticks(y, _pillar_labels(keys))
    ax.set_xlim(*SCORE_RANGE)
    ax.set_xlabel("pillar score (0 to 4)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return _finish(fig, title, simulated)


def trajectories(
    trajectory: pd.DataFrame,
    cohort_col: str = "cohort_year",
    time_col: str | None = None,
    focus: Mapping[str, pd.Series] | None = None,
    title: str | None = None,
    ylabel: str = "score (0 to 4)",
    simulated: bool = True,
) -> Figure:
    """Median and IQR band per cohort over time, optionally with focus regencies.

    Args:
        trajectory: Output of :func:`smartcity_utils.cohorts.cohort_trajectories`
            (``<cohort_col>``, time column, ``median``, ``q25``, ``q75``).
        cohort_col: The cohort column of ``trajectory``.
        time_col: ``'year'`` or ``'years_in_programme'`` (default: whichever
            is present).
        focus: Optional ``{label: Series indexed by time}`` drawn as thick lines.
        title: Figure title.
        ylabel: Y-axis label.
        simulated: Stamp the simulated-data marker.

    Returns:
        The figure.
    """
    if time_col is None:
        time_col = "years_in_programme" if "years_in_programme" in trajectory.columns else "year"
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for cohort, block in trajectory.groupby(cohort_col, sort=True):
        block = block.sort_values(time_col)
        (line,) = ax.plot(block[time_col], block["median"], marker="o", ms=3, label=f"{cohort}")
        ax.fill_between(block[time_col], block["q25"], block["q75"], color=line.get_color(), alpha=0.15)
    for label, series in (focus or {}).items():
        series = series.dropna().sort_index()
        ax.plot(series.index, series.to_numpy(), color="black", lw=2.5, marker="s", ms=4, label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, not 2022.2
    ax.set_xlabel("calendar year" if time_col == "year" else "years in the programme")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(title=cohort_col, fontsize=8, ncols=2)
    return _finish(fig, title, simulated)


def distributions(
    regency_year: pd.DataFrame,
    measures: Sequence[str] | None = None,
    cohort_col: str = "cohort_year",
    year: int | None = None,
    highlight_ids: Sequence[int] | None = None,
    title: str | None = None,
    simulated: bool = True,
    seed: int = 0,
) -> Figure:
    """Box and strip plots of scores per cohort, one panel per measure.

    Args:
        regency_year: The ``regency_year`` table.
        measures: Measures to draw (default: the six pillars).
        cohort_col: Column defining the cohort.
        year: Restrict to one calendar year (default: all rows).
        highlight_ids: ``regency_id`` values drawn as larger black points.
        title: Figure title.
        simulated: Stamp the simulated-data marker.
        seed: Seed of the horizontal jitter (fixed so that figures reproduce).

    Returns:
        The figure.
    """
    keys = load_pillars()["pillar_key"].tolist()
    measures = list(measures) if measures is not None else keys
    frame = regency_year if year is None else regency_year[regency_year["year"] == year]
    frame = frame[frame[cohort_col].notna()]
    cohorts = sorted(frame[cohort_col].unique())
    highlight = set(highlight_ids or [])
    labels = dict(zip(keys, _pillar_labels(keys)))
    ncols = min(3, max(1, len(measures)))
    nrows = int(np.ceil(len(measures) / ncols))
    fig = Figure(figsize=(4 * ncols, 3.2 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    rng = np.random.default_rng(seed)
    for i, m in enumerate(measures):
        ax = axes.flat[i]
        values = measure_values(frame, m)
        data = [values[frame[cohort_col] == c].dropna().to_numpy() for c in cohorts]
        pos = np.arange(1, len(cohorts) + 1)
        if cohorts:
            ax.boxplot(data, positions=pos, widths=0.6, showfliers=False,
                       medianprops={"color": "black"})
        for p, c, v in zip(pos, cohorts, data):
            ax.scatter(p + rng.uniform(-0.18, 0.18, v.size), v, s=6, alpha=0.4, color="tab:blue")
            mask = (frame[cohort_col] == c) & frame["regency_id"].isin(highlight) & values.notna()
            if mask.any():
                ax.scatter(np.full(mask.sum(), p), values[mask], s=40, color="black", zorder=3)
        ax.set_xticks(pos, [str(c) for c in cohorts], rotation=45 if len(cohorts) > 6 else 0)
        ax.set_title(labels.get(m, m), fontsize=10)
        ax.set_ylim(*SCORE_RANGE)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(measures):]:
        ax.set_visible(False)
    return _finish(fig, title, simulated)


def driver_estimates(
    drivers: pd.DataFrame,
    methods: Sequence[str] | None = None,
    title: str | None = None,
    simulated: bool = True,
) -> Figure:
    """Per-pillar estimates with their intervals, one panel per driver method.

    Args:
        drivers: Stacked method tables (``pillar, method, estimate, ci_low, ci_high``).
        methods: Methods to draw, in order (default: every method present).
        title: Figure title.
        simulated: Stamp the simulated-data marker.

    Returns:
        The figure.
    """
    methods = list(methods or dict.fromkeys(drivers["method"]))
    keys = [k for k in load_pillars()["pillar_key"] if k in set(drivers["pillar"])]
    fig = Figure(figsize=(3.1 * len(methods), 3.6), layout="constrained")
    axes = fig.subplots(1, len(methods), sharey=True, squeeze=False)[0]
    y = np.arange(len(keys))[::-1]
    for ax, method in zip(axes, methods):
        block = drivers[drivers["method"] == method].set_index("pillar").reindex(keys)
        est = block["estimate"].to_numpy(dtype=float)
        low = block["ci_low"].to_numpy(dtype=float)
        high = block["ci_high"].to_numpy(dtype=float)
        has_ci = ~(np.isnan(low) | np.isnan(high))
        ax.errorbar(est[has_ci], y[has_ci], xerr=[est[has_ci] - low[has_ci], high[has_ci] - est[has_ci]],
                    fmt="o", color="C0", capsize=3)
        ax.plot(est[~has_ci], y[~has_ci], "o", color="C0")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(method.replace("_", " "), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, _pillar_labels(keys))
    return _finish(fig, title, simulated)


def headline_history(
    history: pd.DataFrame,
    title: str | None = None,
    simulated: bool = True,
    labels: tuple[str, str] = ("headline index (0 to 4)", "rank in group (1 = best)"),
) -> Figure:
    """Headline index and rank per year, the rank with its Monte Carlo interval.

    Args:
        history: Output of :func:`smartcity_utils.profile.headline_history`
            (``year, final_score, rank_computed, rank_p05, rank_p95``).
        title: Figure title.
        simulated: Stamp the simulated-data marker.
        labels: Y-axis labels of the two panels (language of the report).

    Returns:
        The figure.
    """
    fig = Figure(figsize=(8, 3.4), layout="constrained")
    ax_score, ax_rank = fig.subplots(1, 2)
    ax_score.plot(history["year"], history["final_score"], marker="o", color="C0")
    ax_score.set_ylim(*SCORE_RANGE)
    ax_score.set_ylabel(labels[0])
    rank = history["rank_computed"].to_numpy(dtype=float)
    low = history["rank_p05"].to_numpy(dtype=float)
    high = history["rank_p95"].to_numpy(dtype=float)
    ok = ~(np.isnan(low) | np.isnan(high) | np.isnan(rank))
    ax_rank.errorbar(history["year"][ok], rank[ok], yerr=[np.clip(rank[ok] - low[ok], 0, None),
                                                          np.clip(high[ok] - rank[ok], 0, None)],
                     fmt="o-", color="C1", capsize=4)
    ax_rank.invert_yaxis()  # rank 1 on top
    ax_rank.set_ylabel(labels[1])
    for ax in (ax_score, ax_rank):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    return _finish(fig, title, simulated)
