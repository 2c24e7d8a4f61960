"""Figures for reports: pillar profiles, cohort trajectories, score distributions.

Every function builds a :class:`matplotlib.figure.Figure` directly (no
``pyplot``): nothing depends on a display or on global figure state, so the
functions are safe under the Agg backend, in notebooks and in papermill runs.
They return the figure and never show it.

Only a handful of published scores are real; everything else the workspace
ships is simulated. Every function therefore takes ``simulated`` and, when it
is True, stamps the figure with the simulated-data marker via
:func:`smartcity_utils.report.figures.mark_simulated`, so that a figure cannot be mistaken for official scores
once it is cut out of its report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from smartcity_utils import reference as ref
from smartcity_utils.analysis.cohorts import measure_values
from smartcity_utils.report.figures import finish as _finish
from smartcity_utils.report.texts import has_text, text


def _t(lang: str, key: str, **values: object) -> str:

    return text(lang, key, **values)


#: Colours of focus regencies: distinct from each other and from the tab10
#: cohort colours' usual first entries, dark enough to read on white.
FOCUS_COLOURS = ("#1b1b1b", "#c2185b", "#00796b", "#e65100", "#4527a0", "#827717")
FOCUS_MARKERS = ("s", "^", "D", "o", "v", "P")


SCORE_RANGE = ref.SCORE_SCALE


def column_label(column: str, lang: str = "en") -> str:
    """A column's name for a legend or axis: its report text ``col_<column>`` when there is one, else words."""
    key = {"cohort_year": "col_cohort"}.get(column, f"col_{column}")
    return text(lang, key) if has_text(lang, key) else column.replace("_", " ")


def _pillar_labels(keys: Sequence[str]) -> list[str]:
    names = ref.pillar_names()
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
    cohort_label: str | None = None,
    lang: str = "en",
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
        cohort_label: Legend label of the cohort median (default: the report text).
        lang: Language of the labels and the stamp.

    Returns:
        The figure.
    """
    keys = list(ref.pillar_names())
    focus = _as_series(focus_row, keys)
    cohort = _as_series(cohort_median, keys)
    if focus_label is None:
        focus_label = str(dict(focus_row).get("regency", "focus regency"))
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(keys))[::-1]
    ax.hlines(y, np.fmin(focus, cohort), np.fmax(focus, cohort), color="0.7", lw=3, zorder=1)
    ax.scatter(cohort, y, marker="|", s=300, color="tab:gray", label=cohort_label or _t(lang, "fig_cohort_median"),
               zorder=2)
    if national_median is not None:
        national = _as_series(national_median, keys)
        ax.scatter(national, y, marker="D", s=30, facecolor="none", edgecolor="black",
                   label=_t(lang, "fig_national_median"), zorder=2)
    ax.scatter(focus, y, s=70, color="tab:blue", label=focus_label, zorder=3)
    ax.set_yticks(y, _pillar_labels(keys))
    ax.set_xlim(*SCORE_RANGE)
    ax.set_xlabel(_t(lang, "fig_pillar_axis"))
    ax.grid(axis="x", alpha=0.3)
    # Below the chart, never over it: a long regency name in the legend hides no marker.
    fig.legend(loc="outside lower center", ncols=3, fontsize=8)
    return _finish(fig, title, simulated, lang)


def trajectories(
    trajectory: pd.DataFrame,
    cohort_col: str = "cohort_year",
    time_col: str | None = None,
    focus: Mapping[str, pd.Series] | None = None,
    title: str | None = None,
    ylabel: str = "score (0 to 4)",
    simulated: bool = True,
    lang: str = "en",
    focus_real: Mapping[str, pd.Series] | None = None,
) -> Figure:
    """Median and IQR band per cohort over time, optionally with focus regencies.

    Focus regencies are drawn as thick lines, each in its own colour and
    marker from :data:`FOCUS_COLOURS`, so that they can be told apart. With
    ``focus_real``, a focus point from files marked as real is drawn filled and
    a simulated one hollow, and the legend names the two.

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
        lang: Language of the axis labels, the legend title and the stamp.
        focus_real: Optional ``{label: bool Series indexed by time}``: whether each focus point is real.

    Returns:
        The figure.
    """
    if time_col is None:
        time_col = "years_in_programme" if "years_in_programme" in trajectory.columns else "year"
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for cohort, block in trajectory.groupby(cohort_col, sort=True):
        block = block.sort_values(time_col)
        (line,) = ax.plot(block[time_col], block["median"], marker="o", ms=3, lw=1, alpha=0.8, label=f"{cohort}")
        ax.fill_between(block[time_col], block["q25"], block["q75"], color=line.get_color(), alpha=0.12)
    for i, (label, series) in enumerate((focus or {}).items()):
        series = series.dropna().sort_index()
        if len(series):  # a missing year breaks the line instead of bridging it
            series = series.reindex(range(int(series.index.min()), int(series.index.max()) + 1))
        real = ((focus_real or {}).get(label, pd.Series(dtype=bool)).reindex(series.index).fillna(False)
                .astype(bool).to_numpy())
        colour = FOCUS_COLOURS[i % len(FOCUS_COLOURS)]
        ax.plot(series.index, series.to_numpy(dtype=float), color=colour, lw=2.8,
                marker=FOCUS_MARKERS[i % len(FOCUS_MARKERS)], ms=6, label=label, zorder=5,
                markerfacecolor="white" if focus_real is not None else colour)
        if real.any():  # points from files marked as real: filled over the hollow simulated ones
            ax.plot(np.asarray(series.index)[real], series.to_numpy(dtype=float)[real], linestyle="none",
                    marker=FOCUS_MARKERS[i % len(FOCUS_MARKERS)], ms=7, color=colour, zorder=6)
    partly = focus_real is not None and any(bool(np.asarray(v, dtype=bool).any()) for v in focus_real.values())
    if partly:
        ax.plot([], [], linestyle="none", marker="o", color="black", label=_t(lang, "fig_point_real"))
        ax.plot([], [], linestyle="none", marker="o", markerfacecolor="white", color="black",
                label=_t(lang, "fig_point_simulated"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, not 2022.2
    ax.set_xlabel(_t(lang, "fig_year_axis" if time_col == "year" else "fig_programme_axis"))
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    # Below the chart, never over the lines it names.
    fig.legend(loc="outside lower center", title=column_label(cohort_col, lang), fontsize=8, ncols=5)
    return _finish(fig, title, simulated, lang, partly=partly)


def distributions(
    regency_year: pd.DataFrame,
    measures: Sequence[str] | None = None,
    cohort_col: str = "cohort_year",
    year: int | None = None,
    highlight_ids: Sequence[int] | None = None,
    title: str | None = None,
    simulated: bool = True,
    seed: int = 0,
    lang: str = "en",
) -> Figure:
    """Box and strip plots of scores per cohort, one panel per measure.

    Args:
        regency_year: The ``regency_year`` table.
        measures: Measures to draw (default: the six pillars).
        cohort_col: Column defining the cohort.
        year: Restrict to one calendar year (default: all rows).
        highlight_ids: ``regency_id`` values drawn as large points, each in its
            own colour and marker, named in a legend.
        title: Figure title.
        simulated: Stamp the simulated-data marker.
        seed: Seed of the horizontal jitter (fixed so that figures reproduce).
        lang: Language of the simulated-data stamp.

    Returns:
        The figure.
    """
    keys = list(ref.pillar_names())
    measures = list(measures) if measures is not None else keys
    frame = regency_year if year is None else regency_year[regency_year["year"] == year]
    frame = frame[frame[cohort_col].notna()]
    cohorts = sorted(frame[cohort_col].unique())
    highlight = list(dict.fromkeys(highlight_ids or []))
    names = regency_year.drop_duplicates("regency_id").set_index("regency_id")["regency"] \
        if "regency" in regency_year.columns else pd.Series(dtype=str)
    labels = dict(zip(keys, _pillar_labels(keys)))
    ncols = min(3, max(1, len(measures)))
    nrows = int(np.ceil(len(measures) / ncols))
    fig = Figure(figsize=(4 * ncols, 3.2 * nrows + 0.9), layout="constrained")
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
        for p, v in zip(pos, data):
            ax.scatter(p + rng.uniform(-0.18, 0.18, v.size), v, s=6, alpha=0.35, color="tab:blue")
        for j, rid in enumerate(highlight):
            mask = (frame["regency_id"] == rid) & values.notna()
            if mask.any():
                where = [cohorts.index(c) + 1 for c in frame.loc[mask, cohort_col]]
                ax.scatter(where, values[mask], s=55, color=FOCUS_COLOURS[j % len(FOCUS_COLOURS)],
                           marker=FOCUS_MARKERS[j % len(FOCUS_MARKERS)], edgecolor="white", linewidth=0.6,
                           zorder=4, label=str(names.get(rid, rid)) if i == 0 else None)
        ax.set_xticks(pos, [str(c) for c in cohorts], rotation=45 if len(cohorts) > 6 else 0)
        ax.set_title(labels.get(m, m), fontsize=10)
        ax.set_ylim(*SCORE_RANGE)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(measures):]:
        ax.set_visible(False)
    if highlight:
        fig.legend(loc="outside lower center", ncols=min(len(highlight), 3), fontsize=8)
    return _finish(fig, title, simulated, lang)


def driver_estimates(
    drivers: pd.DataFrame,
    methods: Sequence[str] | None = None,
    title: str | None = None,
    simulated: bool = True,
    lang: str = "en",
) -> Figure:
    """Per-pillar estimates with their intervals, one panel per driver method.

    Args:
        drivers: Stacked method tables (``pillar, method, estimate, ci_low, ci_high``); ``method`` holds the
            name each panel is titled with.
        methods: Methods to draw, in order (default: every method present).
        title: Figure title.
        simulated: Stamp the simulated-data marker.
        lang: Language of the stamp.

    Returns:
        The figure.
    """
    methods = list(methods or dict.fromkeys(drivers["method"]))
    keys = [k for k in ref.pillar_names() if k in set(drivers["pillar"])]
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
    return _finish(fig, title, simulated, lang)


def _full_years(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per year from first to last, so that a missing year breaks the line instead of bridging it."""
    years = pd.RangeIndex(int(frame["year"].min()), int(frame["year"].max()) + 1, name="year")
    return frame.set_index("year").reindex(years).reset_index()


def _index_and_percentile_axes(fig: Figure, lang: str, percentile_top: float, years: pd.Series | None = None,
                               with_percentile: bool = True) -> tuple:
    """The panels of a history figure: the index (0 to 4) and, when there is one, the percentile in the group.

    ``years`` fixes the horizontal axis to the years shown (one year is one tick, not a century).
    """
    axes = fig.subplots(1, 2) if with_percentile else (fig.subplots(1, 1), None)
    ax_score, ax_pct = axes
    ax_score.set_ylim(*SCORE_RANGE)
    ax_score.set_ylabel(_t(lang, "fig_index_axis"))
    if ax_pct is not None:
        ax_pct.set_ylim(0, percentile_top)
        ax_pct.set_ylabel(_t(lang, "fig_percentile_axis"))
    for ax in (a for a in (ax_score, ax_pct) if a is not None):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, not 2022.5
        if years is not None and len(years):
            first, last = int(min(years)), int(max(years))
            ax.set_xlim(first - 0.5, last + 0.5)
            if last - first < 8:
                ax.set_xticks(range(first, last + 1))
        ax.set_xlabel(_t(lang, "fig_year_axis"))
        ax.grid(alpha=0.3)
    return ax_score, ax_pct


def _real_points(frame: pd.DataFrame) -> np.ndarray:
    """Per row, whether the point comes from files marked as real (``is_simulated`` false); all False without the
    column (nothing is claimed real that is not marked so)."""
    if "is_simulated" not in frame.columns:
        return np.zeros(len(frame), bool)
    flags = frame["is_simulated"]
    return (flags.notna() & ~flags.fillna(True).astype(bool)).to_numpy()


def _points_by_source(ax, x: pd.Series, y: pd.Series, real: np.ndarray, colour: str, lang: str,
                      legend: bool = True) -> None:
    """A line through the points, each point filled when it comes from files marked as real and hollow when it
    is simulated; a legend names the two where both are drawn."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ax.plot(x, y, color=colour)
    shown = ~np.isnan(y)
    for is_real, face, key in ((True, colour, "fig_point_real"), (False, "white", "fig_point_simulated")):
        pick = shown & (real == is_real)
        if pick.any():
            ax.scatter(x[pick], y[pick], s=36, facecolor=face, edgecolor=colour, linewidths=1.5, zorder=3,
                       label=_t(lang, key))
    if legend and (shown & real).any() and (shown & ~real).any():
        ax.legend(fontsize=8, loc="best", frameon=False)


def headline_history(
    history: pd.DataFrame,
    title: str | None = None,
    simulated: bool = True,
    lang: str = "en",
) -> Figure:
    """Index per year, and the position within the evaluation group per year.

    The right panel shows the percentile within the group (share of the other
    regencies of the group scoring lower, 100 = best), not the rank: groups
    differ in size between years (37, 130, 191), and ranks of groups of
    different sizes on one axis mislead. Each point is labelled ``rank/N``
    and the percentile interval comes from the rank interval when present.
    Years without an index leave a gap.

    Args:
        history: Output of :func:`smartcity_utils.report.profile.headline_history`
            (``year, final_score, rank_computed, n_in_group, percentile_in_group``
            and optionally ``percentile_low``, ``percentile_high``).
        title: Figure title.
        simulated: Stamp the simulated-data marker.
        lang: Language of the labels and the stamp.

    Returns:
        The figure.
    """
    frame = _full_years(history)
    pct = frame["percentile_in_group"].to_numpy(dtype=float)
    with_percentile = bool(np.isfinite(pct).any())  # a rank computed in a group held whole, in some year
    fig = Figure(figsize=(8, 3.4) if with_percentile else (5, 3.4), layout="constrained")
    ax_score, ax_pct = _index_and_percentile_axes(fig, lang, percentile_top=108, years=frame["year"],
                                                  with_percentile=with_percentile)  # room for the rank labels
    real = _real_points(frame)
    drawn = frame["final_score"].notna().to_numpy()
    partly = bool((drawn & real).any() and (drawn & ~real).any())  # real points beside simulated ones
    _points_by_source(ax_score, frame["year"], frame["final_score"].astype(float), real, "C0", lang)
    ax_score.set_title(_t(lang, "fig_index_title"), fontsize=10)
    if not with_percentile:
        return _finish(fig, title, simulated, lang, partly=partly)
    _points_by_source(ax_pct, frame["year"], pd.Series(pct), real, "C1", lang, legend=False)
    if {"percentile_low", "percentile_high"} <= set(frame.columns):
        low = frame["percentile_low"].to_numpy(dtype=float)
        high = frame["percentile_high"].to_numpy(dtype=float)
        ok = ~(np.isnan(low) | np.isnan(high) | np.isnan(pct))
        ax_pct.errorbar(frame["year"][ok], pct[ok], yerr=[np.clip(pct[ok] - low[ok], 0, None),
                                                          np.clip(high[ok] - pct[ok], 0, None)],
                        fmt="none", ecolor="C1", capsize=4)
    for year, value, rank, n in zip(frame["year"], pct, frame["rank_computed"], frame["n_in_group"]):
        if not (np.isnan(value) or pd.isna(rank) or pd.isna(n)):
            ax_pct.annotate(f"{int(rank)}/{int(n)}", (year, value), textcoords="offset points", xytext=(0, 7),
                            ha="center", fontsize=8)
    ax_pct.set_title(_t(lang, "fig_percentile_title"), fontsize=10)
    return _finish(fig, title, simulated, lang, partly=partly)


def compare_history(
    histories: Mapping[str, pd.DataFrame],
    title: str | None = None,
    simulated: bool = True,
    lang: str = "en",
) -> Figure:
    """Several regencies' index and percentile within their group, one colour each.

    Args:
        histories: ``{regency name: headline_history frame}``.
        title: Figure title.
        simulated: Stamp the simulated-data marker.
        lang: Language of the labels and the stamp.

    Returns:
        The figure.
    """
    years = pd.concat([h["year"] for h in histories.values()]) if histories else pd.Series(dtype=int)
    # The percentile panel only where some year has a rank computed in a group held whole.
    with_percentile = any(h["percentile_in_group"].notna().any() for h in histories.values())
    fig = Figure(figsize=(8, 3.8) if with_percentile else (5.5, 3.8), layout="constrained")
    ax_score, ax_pct = _index_and_percentile_axes(fig, lang, percentile_top=105, years=years,
                                                  with_percentile=with_percentile)
    for i, (name, history) in enumerate(histories.items()):
        frame = _full_years(history)
        style = {"color": FOCUS_COLOURS[i % len(FOCUS_COLOURS)], "marker": FOCUS_MARKERS[i % len(FOCUS_MARKERS)],
                 "lw": 2}
        ax_score.plot(frame["year"], frame["final_score"].astype(float), label=name, **style)
        if ax_pct is not None:
            ax_pct.plot(frame["year"], frame["percentile_in_group"].astype(float), **style)
    fig.legend(loc="outside lower center", ncols=min(len(histories), 3), fontsize=8)
    return _finish(fig, title, simulated, lang)


def compare_profiles(
    scores: pd.DataFrame,
    title: str | None = None,
    simulated: bool = True,
    lang: str = "en",
) -> Figure:
    """Dot chart of the six pillar scores of several regencies, one colour and marker each.

    Args:
        scores: One row per regency, indexed by name, one column per pillar key.
        title: Figure title.
        simulated: Stamp the simulated-data marker.
        lang: Language of the labels and the stamp.

    Returns:
        The figure.
    """
    keys = list(ref.pillar_names())
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(keys))[::-1]
    offsets = np.linspace(-0.2, 0.2, max(len(scores), 1)) if len(scores) > 1 else [0.0]
    for i, (name, row) in enumerate(scores.iterrows()):
        ax.scatter(_as_series(row, keys), y + offsets[i], s=60, color=FOCUS_COLOURS[i % len(FOCUS_COLOURS)],
                   marker=FOCUS_MARKERS[i % len(FOCUS_MARKERS)], label=str(name), zorder=3)
    ax.set_yticks(y, _pillar_labels(keys))
    ax.set_xlim(*SCORE_RANGE)
    ax.set_xlabel(_t(lang, "fig_pillar_axis"))
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=min(len(scores), 3), fontsize=8)
    return _finish(fig, title, simulated, lang)


def followup_rates(rates: pd.DataFrame, title: str | None = None, simulated: bool = True,
                   lang: str = "en") -> Figure:
    """Share of recommendations done a year later per cohort, with its 95 % interval where one is given.

    Args:
        rates: :func:`smartcity_utils.analysis.recommendations.followup_rates` (``group``, ``share_selesai``
            and its ``_low`` and ``_high`` bounds, ``n_recorded``).
        title: Figure title.
        simulated: Stamp the simulated-data marker.
        lang: Language of the labels and the stamp.
    """
    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(rates))
    share = 100 * rates["share_selesai"].to_numpy(float)
    low = 100 * rates["share_selesai_low"].to_numpy(float)
    high = 100 * rates["share_selesai_high"].to_numpy(float)
    has = ~np.isnan(low)
    ax.errorbar(x[has], share[has], yerr=[share[has] - low[has], high[has] - share[has]], fmt="o", color="#1b1b1b",
                capsize=4, zorder=3)
    ax.scatter(x[~has], share[~has], marker="o", facecolors="none", edgecolors="#1b1b1b", zorder=3)
    ax.set_xticks(x, [f"{int(g)}" if isinstance(g, (int, float, np.integer)) and float(g).is_integer() else str(g)
                      for g in rates["group"]])
    ax.set_ylim(0, 100)
    ax.set_xlabel(_t(lang, "col_cohort"))
    ax.set_ylabel(_t(lang, "col_share_selesai"))
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, title, simulated, lang)
