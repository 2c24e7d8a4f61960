"""What notebook 02 shows beside its tests: the focus regencies' rows and figures, in the page's language.

The comparison of cohorts itself is :mod:`smartcity_utils.analysis.cohorts`;
this module picks the rows and draws the figures of the page: each focus
regency's latest year, its pillar profile (named by the regency, not by an
internal id), the index of each focus regency over the years for the
trajectories, and the distributions of the latest year.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from smartcity_utils.analysis import cohorts
from smartcity_utils.errors import UserError
from smartcity_utils.regencies import regency_resolver, resolve_regencies
from smartcity_utils.report import plots, profile
from smartcity_utils.report.jobs import safe_slug
from smartcity_utils.report.tables import category_text
from smartcity_utils.report.texts import text
from smartcity_utils.tables import load_analysis


def page_rows(processed_dir: str, years: list[int], focus: list[str],
              cohort_col: str) -> tuple[pd.DataFrame, list[int]]:
    """The regency-years notebook 02 compares (of ``years``, every year when empty) and the focus regencies' ids.

    The rows are the analysis's ``index_ranks`` (the index, ranks and cohorts
    of every regency-year, computed once by ``smartcity analyse``).

    Raises:
        UserError: for a cohort column the table does not have, an unknown
            focus name, or a focus regency without data in the chosen years.
    """
    regency_year = load_analysis(processed_dir, ("index_ranks",))["index_ranks"]
    if years:
        regency_year = regency_year[regency_year["year"].isin(years)]
    if cohort_col not in regency_year.columns:
        raise UserError(f"cohort_col {cohort_col!r} is not a column of the regency-years; choose one of "
                        f"{', '.join(sorted(regency_year.columns))}")
    focus_ids = resolve_regencies(focus)
    absent = [name for name, i in zip(focus, focus_ids) if i not in set(regency_year["regency_id"])]
    if absent:
        raise UserError(f"focus regencies without data in the chosen years: {', '.join(absent)}")
    return regency_year, list(dict.fromkeys(focus_ids))


def focus_index_rows(focus: pd.DataFrame) -> pd.DataFrame:
    """The rows of the index (not of the pillars) of :func:`smartcity_utils.analysis.cohorts.focus_vs_cohort`."""
    return focus[focus["measure"] == "final_score"]


def latest_pillar_rows(focus: pd.DataFrame) -> pd.DataFrame:
    """Each focus regency's pillar rows in its latest year of
    :func:`~smartcity_utils.analysis.cohorts.focus_vs_cohort`."""
    latest = focus.groupby("regency_id")["year"].transform("max")
    return focus[(focus["year"] == latest) & (focus["measure"] != "final_score")]


def focus_names(regency_ids: list[int]) -> dict[int, str]:
    """The gazetteer's name of each focus regency, in the order given (each keeps its colour in every figure)."""
    resolver = regency_resolver()
    return {int(i): resolver.name(int(i)) for i in dict.fromkeys(regency_ids)}


def profile_figures(regency_year: pd.DataFrame, regency_ids: list[int], cohort_col: str, simulated: bool,
                    lang: str) -> dict[str, Figure]:
    """Each focus regency's pillars in its latest year against its cohort's and the nation's medians.

    Returns:
        ``{file name: figure}``, the file names ``profile_<regency>`` (by name, never by an internal id).
    """
    out = {}
    for regency_id, name in focus_names(regency_ids).items():
        own = regency_year[regency_year["regency_id"] == regency_id]
        latest = own.loc[own["year"].idxmax()]
        year = int(latest["year"])
        position = profile.pillar_position(regency_year, regency_id, year, cohort_col).set_index("pillar_key")
        title = text(lang, "fig_focus_profile_title", regency=name, year=year,
                     cohort_label=plots.column_label(cohort_col, lang), cohort=_category(latest[cohort_col]))
        out[f"profile_{safe_slug(name)}"] = plots.pillar_profile(
            latest, position["cohort_median"], national_median=position["national_median"], title=title,
            simulated=simulated, focus_label=name, lang=lang)
    return out


def _category(value: object) -> str:

    return category_text(value)


def focus_lines(regency_year: pd.DataFrame, regency_ids: list[int]) -> dict[str, pd.Series]:
    """The index of each focus regency per year (``{name: series by year}``), in the order given."""
    return {name: regency_year[regency_year["regency_id"] == regency_id].set_index("year")["final_score"]
            for regency_id, name in focus_names(regency_ids).items()}


def focus_real(regency_year: pd.DataFrame, regency_ids: list[int]) -> dict[str, pd.Series]:
    """Whether each focus regency's index of a year comes from files marked as real (``{name: bool series by
    year}``), so that the trajectories draw real points apart from simulated ones."""
    out = {}
    for regency_id, name in focus_names(regency_ids).items():
        own = regency_year[regency_year["regency_id"] == regency_id].set_index("year")
        flags = own["is_simulated"] if "is_simulated" in own.columns else pd.Series(True, index=own.index)
        out[name] = ~flags.fillna(True).astype(bool)
    return out


def trajectory_figures(regency_year: pd.DataFrame, regency_ids: list[int], cohort_col: str, simulated: bool,
                       lang: str) -> dict[str, Figure]:
    """The index per cohort over calendar years (with the focus regencies) and over years in the programme.

    Returns:
        ``{"trajectories_calendar": figure, "trajectories_programme": figure}``.
    """
    axis = text(lang, "fig_index_axis")
    by_year = cohorts.cohort_trajectories(regency_year, "final_score", cohort_col=cohort_col, by="calendar")
    by_programme = cohorts.cohort_trajectories(regency_year, "final_score", cohort_col=cohort_col,
                                               by="programme_year")
    return {"trajectories_calendar": plots.trajectories(
                by_year, cohort_col=cohort_col, focus=focus_lines(regency_year, regency_ids),
                title=text(lang, "fig_trajectory_calendar_title"), ylabel=axis, simulated=simulated, lang=lang,
                focus_real=focus_real(regency_year, regency_ids)),
            "trajectories_programme": plots.trajectories(
                by_programme, cohort_col=cohort_col, title=text(lang, "fig_trajectory_programme_title"),
                ylabel=axis, simulated=simulated, lang=lang)}


def latest_year(regency_year: pd.DataFrame) -> int:
    """The latest year of the page's rows."""
    return int(regency_year["year"].max())


def distributions_figure(regency_year: pd.DataFrame, regency_ids: list[int], cohort_col: str, simulated: bool,
                         lang: str) -> Figure:
    """The six pillars per cohort in the latest year, the focus regencies marked."""
    year = latest_year(regency_year)
    return plots.distributions(regency_year, cohort_col=cohort_col, year=year, highlight_ids=regency_ids,
                               title=text(lang, "fig_distributions_title", year=year), simulated=simulated,
                               lang=lang)
