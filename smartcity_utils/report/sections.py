"""The sections of a regency report that depend on what the data hold.

Real data are partial: a letter gives five dimension scores, an index and a
rank; a provincial table a name and a final score; pillar scores come only
sometimes. Each function returns what one section shows, in display order
(headings, paragraphs, figures, tables): the full section when the data carry
it, and one sentence saying what is missing when they do not. The notebook
displays the list as it is.
"""

from __future__ import annotations

import pandas as pd

from smartcity_utils.report import figures, narrative, plots, profile, tables
from smartcity_utils.report.numbers import fmt_score
from smartcity_utils.report.texts import heading, paragraph, text


def letter(letter_rows: pd.DataFrame, lang: str) -> list[object]:
    """The evaluation letter per year: dimension scores, the index computed beside the reported one, the
    check, and the weights of each year with how they are known."""
    blocks: list[object] = [heading(text(lang, "letter"))]
    if letter_rows.empty:
        return blocks + [paragraph(text(lang, "no_letter"))]
    blocks += [tables.letter_table(letter_rows, lang), paragraph(text(lang, "letter_note"), css="table-note")]
    with_weights = letter_rows.dropna(subset=["weights"])
    if len(with_weights):
        blocks += [heading(text(lang, "weights_heading"), 3), tables.weights_table(with_weights, lang)]
    return blocks


def pillar_profile(current: pd.Series, position: pd.DataFrame, gaps: list[dict], name: str, year: int,
                   simulated: bool, lang: str) -> list[object]:
    """The pillars against the cohort and the nation; the regency's own scores alone when neither is held
    whole; one sentence when the data hold no pillar score."""
    blocks: list[object] = [heading(text(lang, "profile"))]
    codes = {g["code"] for g in gaps}
    if "no_pillars" in codes:
        return blocks + [paragraph(text(lang, "gap_no_pillars", year=year))]
    if not position.attrs.get("cohort_whole", True):
        cohort_gaps = [g for g in gaps if g["code"] in ("cohort_unknown", "cohort_not_whole")]
        return blocks + [paragraph(*narrative.gap_sentences(cohort_gaps, year, name, lang)),
                         tables.own_pillars_table(position, lang)]
    by_key = position.set_index("pillar_key")
    figure = plots.pillar_profile(current, by_key["cohort_median"], national_median=by_key["national_median"],
                                  title=text(lang, "fig_profile_title", regency=name, year=year),
                                  simulated=simulated, lang=lang)
    return blocks + [figures.embed(figure, alt=text(lang, "alt_profile", regency=name, year=year)),
                     tables.position_table(position, lang),
                     paragraph(text(lang, "profile_note", threshold=fmt_score(profile.NOTABLE_GAP, lang),
                                    reason=text(lang, "threshold_reason")), css="table-note")]


def subtitle(current: pd.Series, year: int, lang: str) -> str:
    """Province, cohort (or that it is not known) and the evaluation year."""
    if pd.isna(current["cohort_year"]):
        return text(lang, "subtitle_no_cohort", province=current["province"], year=year)
    return text(lang, "subtitle", province=current["province"], cohort=int(current["cohort_year"]), year=year)


def recommendations(recs: pd.DataFrame, summary: pd.DataFrame, lang: str) -> list[object]:
    """The panel's recommendations per year (latest first) and pillar, with their follow-up; one sentence when
    none is recorded.

    Args:
        recs: :func:`smartcity_utils.report.profile.recommendations_of`.
        summary: :func:`smartcity_utils.report.profile.followup_summary`.
        lang: Report language.
    """
    blocks: list[object] = [heading(text(lang, "recommendations"))]
    if recs.empty:
        return blocks + [paragraph(text(lang, "no_recommendations"))]
    simulated = sorted(int(y) for y in recs.loc[recs["is_simulated"].astype(bool), "year"].unique())
    if simulated:
        blocks.append(paragraph(text(lang, "rec_simulated", years=", ".join(str(y) for y in simulated)),
                                css="table-note"))
    for year, block in recs.groupby("year", sort=False):
        stages = sorted({s for s in block["stage"].dropna() if s})
        title = (text(lang, "rec_year_heading_stage", year=int(year), stages=", ".join(stages)) if stages
                 else text(lang, "rec_year_heading", year=int(year)))
        counts = summary[summary["year"] == year].iloc[0]
        blocks += [heading(title, 3),
                   paragraph(narrative.followup_sentence(counts, lang),
                             narrative.repeated_sentence(recs, int(year), lang) or ""),
                   tables.recommendations_table(block, lang)]
    return blocks + [paragraph(text(lang, "rec_note"), css="table-note")]


# --------------------------------------------------------------------------- the comparison report's sections


def compare_profiles(scores: pd.DataFrame, year: int, names: str, simulated: bool, lang: str) -> list[object]:
    """The pillar profiles side by side (figure and table), or one sentence when no regency has pillar scores."""
    blocks: list[object] = [heading(text(lang, "compare_profiles", year=year))]
    if scores.empty:
        return blocks + [paragraph(text(lang, "compare_no_pillars", year=year))]
    figure = plots.compare_profiles(scores, title=text(lang, "fig_compare_profile_title", year=year),
                                    simulated=simulated, lang=lang)
    return blocks + [figures.embed(figure, alt=text(lang, "alt_compare_profile", names=names, year=year)),
                     tables.compare_pillar_table(scores, lang)]


def compare_quick_wins(quick_wins: pd.DataFrame, lang: str) -> list[object]:
    """The Quick Win table of the regencies, or one sentence when none has a programme registered."""
    blocks: list[object] = [heading(text(lang, "compare_quick_wins"))]
    if quick_wins.empty:
        return blocks + [paragraph(text(lang, "compare_no_quick_wins"))]
    return blocks + [tables.compare_quick_wins_table(quick_wins, lang)]


def compare_recommendations(latest: dict[str, pd.DataFrame], lang: str) -> list[object]:
    """The recommendations of the regencies side by side by theme, or one sentence when none has any."""
    blocks: list[object] = [heading(text(lang, "compare_recommendations"))]
    if not latest:
        return blocks + [paragraph(text(lang, "compare_no_recommendations"))]
    return blocks + [tables.compare_recommendations_table(latest, lang),
                     paragraph(text(lang, "compare_rec_note"), css="table-note")]
