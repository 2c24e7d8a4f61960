"""Several regencies side by side: the numbers of a comparison (regencies, year, histories, pillars, Quick Wins).

The numbers behind ``notebooks/11_compare_regencies.ipynb`` (``smartcity
report --compare Kukar Paser Kotim``); its sentences are in
:mod:`smartcity_utils.report.narrative`, its tables in
:mod:`smartcity_utils.report.tables` and its sections in
:mod:`smartcity_utils.report.sections` (functions named ``compare_*``).
Positions are percentiles within each regency's own evaluation group, shown
with "rank r of N", for the reason given in
:func:`smartcity_utils.report.plots.headline_history`.
"""

from __future__ import annotations

import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.errors import UserError
from smartcity_utils.regencies import Subject, identify, regency_resolver
from smartcity_utils.report import profile
from smartcity_utils.tables import shows_simulated


def names_of(ctx: profile.ReportContext | None, regency_ids: list[int]) -> dict[int, str]:
    """Canonical names of the regencies (from the gazetteer), in the order given."""
    resolver = regency_resolver()
    return {int(i): resolver.name(int(i)) for i in regency_ids}


def setup(data: profile.ReportContext | pd.DataFrame, regencies: list[str],
          year: int | None = None, regency_ids: list[int] | None = None) -> tuple[list[int], dict[int, str], int]:
    """The regencies and the year of a comparison, checked once.

    Args:
        data: The report context, or any table with ``regency_id`` and ``year``
            (``regency_year``), and ``final_score`` when it has an index.
        regencies: Names, aliases or codes as given, two or more different regencies; with ``regency_ids``,
            their display names.
        year: The year compared; None: the latest year in which one of them has an index.
        regency_ids: The ids of ``regencies`` and, with ``year``, the year, as ``smartcity report --compare``
            identified and checked them: nothing is looked up or checked again.

    Returns:
        ``(regency ids, {id: canonical name}, year)``.

    Raises:
        UserError: an unknown name, fewer than two different regencies, one
            without evaluation data, or a year without data.
    """
    if regency_ids and year not in (None, 0, ""):
        ids = [int(i) for i in regency_ids]
        return ids, dict(zip(ids, (str(r) for r in regencies))), int(year)
    if regency_ids:
        subjects = [Subject(int(i), str(name)) for i, name in zip(regency_ids, regencies)]
    else:
        subjects = identify(list(regencies))
    return comparison(data, subjects, year)


def comparison(data: profile.ReportContext | pd.DataFrame, subjects: list[Subject],
               year: int | None = None) -> tuple[list[int], dict[int, str], int]:
    """The regencies and the year of a comparison of regencies already identified
    (:class:`~smartcity_utils.regencies.Subject`), checked: see :func:`setup`."""
    rows = data.index_ranks if isinstance(data, profile.ReportContext) else data
    ids = list(dict.fromkeys(s.regency_id for s in subjects))
    if len(ids) < 2:
        raise UserError(f"a comparison needs at least two different regencies, got {[s.label for s in subjects]}")
    have = set(rows["regency_id"])
    missing = [s.label for s in subjects if s.regency_id not in have]
    if missing:
        raise UserError(f"no evaluation data for: {', '.join(missing)}")
    own = rows[rows["regency_id"].isin(ids)]
    if year in (None, 0, ""):
        indexed = own.dropna(subset=["final_score"]) if "final_score" in own.columns else own
        year = int((indexed if len(indexed) else own)["year"].max())
    elif int(year) not in set(rows["year"]):
        raise UserError(f"no data for year {year}; years with data: {sorted(int(y) for y in rows['year'].unique())}")
    names = {s.regency_id: s.name for s in reversed(subjects)}  # the first naming of a regency
    return ids, {i: names[i] for i in ids}, int(year)


def page_simulated(ctx: profile.ReportContext, histories_by_name: dict[str, pd.DataFrame], year: int) -> bool:
    """Whether a comparison shows simulated numbers (:func:`smartcity_utils.tables.shows_simulated`).

    Its numbers come from each regency's history and, through the ranks and
    percentiles of every year shown (and of ``year``), from all the regencies
    of those years.
    """
    years = {int(year), *years_shown(histories_by_name)}
    return shows_simulated(*histories_by_name.values(), ctx.index_ranks[ctx.index_ranks["year"].isin(years)])



def years_shown(histories_by_name: dict[str, pd.DataFrame]) -> list[int]:
    """The years of any regency's history, in order: the span a comparison covers."""
    return sorted({int(y) for h in histories_by_name.values() for y in h["year"]})


def has_rank_intervals(histories_by_name: dict[str, pd.DataFrame]) -> bool:
    """Whether any regency's history has a plausible rank range (the methods then explain it)."""
    return any(h["rank_p05"].notna().any() for h in histories_by_name.values())

def histories(ctx: profile.ReportContext, regency_ids: list[int]) -> dict[str, pd.DataFrame]:
    """``{name: headline history}`` of each regency."""
    return {name: profile.headline_history(ctx, rid) for rid, name in names_of(ctx, regency_ids).items()}


def pillar_scores(ctx: profile.ReportContext, regency_ids: list[int], year: int) -> pd.DataFrame:
    """Pillar scores of each regency with any, in ``year`` or its latest year before with pillar scores.

    One row per regency, labelled with its name, and with the year in brackets
    when that year is not ``year`` (a letter of an earlier year).
    """
    rows = {}
    pillars = list(ref.PILLAR_KEYS)
    for rid, name in names_of(ctx, regency_ids).items():
        own = ctx.index_ranks[(ctx.index_ranks["regency_id"] == rid) & (ctx.index_ranks["year"] <= year)]
        own = own[own[pillars].notna().any(axis=1)]
        if len(own):
            latest = own.sort_values("year").iloc[-1]
            label = name if int(latest["year"]) == int(year) else f"{name} ({int(latest['year'])})"
            rows[label] = latest[pillars].astype(float)
    return pd.DataFrame(rows, index=pillars).T


def quick_wins_latest(ctx: profile.ReportContext, regency_ids: list[int]) -> pd.DataFrame:
    """The Quick Win programmes of each regency's latest year with any, and the mean of their four scores.

    Returns:
        ``regency, year, pillar, programme_name, quick_win_score`` (the mean is
        missing when one of the four scores is).
    """
    parts = []
    for rid, name in names_of(ctx, regency_ids).items():
        qw = profile.quick_wins_of(ctx, rid)
        if len(qw):
            latest = qw[qw["year"] == qw["year"].max()]
            parts.append(latest.assign(regency=name))
    if not parts:
        return pd.DataFrame(columns=["regency", "year", "pillar", "programme_name", "quick_win_score"])
    frame = pd.concat(parts, ignore_index=True)
    frame["quick_win_score"] = frame[["score_output", "score_outcome", "score_impact",
                                      "score_sustainability"]].mean(axis=1, skipna=False)
    return frame


def latest_recommendations(ctx: profile.ReportContext, regency_ids: list[int]) -> dict[str, pd.DataFrame]:
    """Each regency's recommendations of its latest year with any, under ``"<name> (<year>)"``.

    Regencies without a recommendation are left out; the order is that of ``regency_ids``.
    """
    out = {}
    for rid, name in names_of(ctx, regency_ids).items():
        recs = profile.recommendations_of(ctx, rid)
        if recs.empty:
            continue
        latest = recs[recs["year"] == recs["year"].max()]
        out[f"{name} ({int(latest['year'].iloc[0])})"] = latest
    return out


def rejected_counts(ctx: profile.ReportContext, regency_ids: list[int]) -> dict[str, int]:
    """How many rows and values of each regency were rejected during cleaning (:func:`profile.rejects_for`)."""
    return {name: len(profile.rejects_for(ctx, rid, name)) for rid, name in names_of(ctx, regency_ids).items()}
